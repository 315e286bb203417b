// Content hashes for object names: a change of content gives a new name, so the pods that mount it
// roll, and nothing else does. Keys are sorted, so the hash depends on content only.
import { createHash } from 'node:crypto';

export function contentHash(data: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}

/** Secret `data`: every value base64, keys sorted. */
export function secretData(files: Readonly<Record<string, string | Buffer>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(files).sort()) {
    const v = files[key];
    out[key] = (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8')).toString('base64');
  }
  return out;
}
