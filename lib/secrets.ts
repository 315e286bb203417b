// Reading Secret objects as text, whichever way they were written.

/** A Secret's values as text: `data` is base64, `stringData` is plain and wins, as in the API server. */
export function secretStrings(secret: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (secret.data ?? {}) as Record<string, unknown>;
  const stringData = (secret.stringData ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') out[k] = v;
  return out;
}
