// `quay-operator keys -n NS NAME`: the registry's generated keys and the Secrets derived from them,
// the only objects holding generated values. Meant for Sealed Secrets, SOPS or External Secrets: the
// rendered registry (`synth`) references them and holds none.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { App } from 'cdk8s';
import { Credentials } from '../../constructs/credentials';
import { ensureManagedKeys, keysFromSecret, managedKeysSecretName } from '../keys';
import { DNS_LABEL } from '../names';
import { sortObjects, KubeObject } from '../synth';
import { loadYamlAll, toYamlStream } from '../yaml';

export const KEYS_HELP = `quay-operator keys: new generated keys for a registry, as Secrets to seal

Usage: quay-operator keys -n NAMESPACE NAME [--from FILE]

Prints, as a YAML stream, the Secret <NAME>-quay-registry-managed-secret-keys (SECRET_KEY,
DATABASE_SECRET_KEY, DB_URI, the database and Clair passwords, the config editor password, the
Clair PSK: random, generated here) and the Secrets derived from it that the pods read by name:
<NAME>-postgres-config-secret, <NAME>-clairpostgres-config-secret, <NAME>-clair-auth (Clair's
PSK) and <NAME>-quay-config-editor-credentials. \`synth\` renders no credential: seal these (kubeseal, sops)
and commit them beside its output, or let the operator create them in the cluster.

Options:
  -n, --namespace NS   the registry's namespace (required)
      --from FILE      keep the keys of an existing managed keys Secret (a backup): print the
                       derived Secrets again, and add only the keys it lacks
`;

export class KeysUsageError extends Error {}


export function keysCommand(args: string[]): { stdout: string } {
  const { values, positionals } = parseArgs({
    args,
    options: { namespace: { type: 'string', short: 'n' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { stdout: KEYS_HELP };
  if (positionals.length !== 1) throw new KeysUsageError('keys needs exactly one registry NAME');
  const name = positionals[0];
  if (!DNS_LABEL.test(name)) throw new KeysUsageError(`NAME ${JSON.stringify(name)} is not a valid QuayRegistry name (a DNS label)`);
  const namespace = values.namespace;
  if (!namespace) throw new KeysUsageError('-n NAMESPACE is required');
  if (!DNS_LABEL.test(namespace)) throw new KeysUsageError(`-n ${JSON.stringify(namespace)} is not a valid namespace`);
  let existing: Record<string, string> = {};
  if (values.from !== undefined) {
    if (!fs.existsSync(values.from)) throw new KeysUsageError(`--from ${values.from}: no such file`);
    let docs: KubeObject[];
    try {
      docs = loadYamlAll(fs.readFileSync(values.from, 'utf8'), values.from) as KubeObject[];
    } catch (err) {
      throw new KeysUsageError(`--from ${values.from}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    const secret = docs.find((d) => d?.kind === 'Secret' && d.metadata?.name === managedKeysSecretName(name));
    if (!secret) throw new KeysUsageError(`--from ${values.from}: no Secret ${managedKeysSecretName(name)} in it`);
    existing = keysFromSecret(secret);
  }
  const keys = ensureManagedKeys(name, existing);
  const chart = new Credentials(new App(), name, { name, namespace, keys });
  return { stdout: toYamlStream(sortObjects(chart.toJson() as KubeObject[])) };
}
