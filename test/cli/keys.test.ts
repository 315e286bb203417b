// `quay-operator keys`: the only output holding generated values, and exactly the Secrets a render
// references by name (checked against `synth` output: every secretKeyRef and Secret volume resolves).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reconfigureToken } from '../../lib/keys';
import * as yaml from 'js-yaml';
import { validateAll } from '../support/schema';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');
type Obj = Record<string, any>;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const decode = (s: Obj) => Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

describe('quay-operator keys', () => {
  const first = run(['keys', '-n', 'quay-enterprise', 'example-registry']);
  const secrets = yaml.loadAll(first.stdout) as Obj[];
  const byName = Object.fromEntries(secrets.map((s) => [s.metadata.name, s]));

  test('prints the managed keys Secret and the Secrets derived from it, valid and labelled', () => {
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(secrets.map((s) => `${s.kind}/${s.metadata.name}`)).toEqual([
      'Secret/example-registry-clair-auth',
      'Secret/example-registry-clairpostgres-config-secret',
      'Secret/example-registry-postgres-config-secret',
      'Secret/example-registry-quay-config-editor-credentials',
      'Secret/example-registry-quay-registry-managed-secret-keys',
    ]);
    validateAll(secrets);
    for (const s of secrets) expect(s.metadata).toMatchObject({ namespace: 'quay-enterprise', labels: { 'quay-operator/quayregistry': 'example-registry' } });
  });

  test('the derived Secrets agree with the keys', () => {
    const keys = decode(byName['example-registry-quay-registry-managed-secret-keys']);
    const db = decode(byName['example-registry-postgres-config-secret']);
    expect(keys.DB_URI).toBe(`postgresql://${db['database-username']}:${db['database-password']}@example-registry-quay-database:5432/${db['database-name']}`);
    expect(db['database-root-password']).toBe(keys.DB_ROOT_PW);
    expect(decode(byName['example-registry-clairpostgres-config-secret'])['database-password']).toBe(keys.CLAIR_DB_PASSWORD);
    expect(decode(byName['example-registry-quay-config-editor-credentials'])).toEqual({
      username: 'quayconfig',
      password: keys.CONFIG_EDITOR_PW,
      // What the editor presents to the operator: bound to -n and NAME.
      'reconfigure-token': reconfigureToken(keys.CONFIG_EDITOR_PW, 'quay-enterprise', 'example-registry'),
    });
    expect(yaml.load(decode(byName['example-registry-clair-auth'])['auth.yaml'])).toEqual({ auth: { psk: { iss: ['quay', 'clairctl'], key: keys.SECURITY_SCANNER_V4_PSK } } });
  });

  test('new random keys on every run', () => {
    const again = (yaml.loadAll(run(['keys', '-n', 'quay-enterprise', 'example-registry']).stdout) as Obj[]).find((s) => s.metadata.name.endsWith('managed-secret-keys'))!;
    expect(decode(again).SECRET_KEY).not.toBe(decode(byName['example-registry-quay-registry-managed-secret-keys']).SECRET_KEY);
  });

  test('--from a backup keeps its keys and adds only the missing ones', () => {
    const backup = byName['example-registry-quay-registry-managed-secret-keys'];
    const partial = { ...backup, data: { ...backup.data } };
    delete partial.data.CLAIR_DB_PASSWORD;
    delete partial.data.CLAIR_DB_ROOT_PW;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keys-')), 'backup.yaml');
    fs.writeFileSync(file, yaml.dump(partial));
    const r = run(['keys', '-n', 'quay-enterprise', 'example-registry', '--from', file]);
    expect(r.code).toBe(0);
    const restored = decode((yaml.loadAll(r.stdout) as Obj[]).find((s) => s.metadata.name.endsWith('managed-secret-keys'))!);
    const original = decode(backup);
    expect(restored.SECRET_KEY).toBe(original.SECRET_KEY);
    expect(restored.DB_URI).toBe(original.DB_URI);
    // An old backup without the Clair keys: the legacy password, as the operator does (PROJQUAY-10279).
    expect(restored.CLAIR_DB_PASSWORD).toBe('postgres');
  });

  test.each([
    [['keys', 'example-registry'], 'error: -n NAMESPACE is required'],
    [['keys', '-n', 'quay-enterprise'], 'error: keys needs exactly one registry NAME'],
    [['keys', '-n', 'quay-enterprise', 'Example_Registry'], 'error: NAME "Example_Registry" is not a valid QuayRegistry name (a DNS label)'],
    [['keys', '-n', 'quay-enterprise', 'example-registry', '--from', '/nonexistent.yaml'], 'error: --from /nonexistent.yaml: no such file'],
  ])('%j: usage error, exit 2', (args, message) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
    expect(r.stdout).toBe('');
  });
});

describe('synth and keys together: every reference resolves', () => {
  // The user's bundle Secret and the bucket provisioner's objects are the only other sources.
  const outside = new Set(['config-bundle-secret', 'example-registry-quay-datastore', 'postgresql-ca', 'postgresql-client-certs']);

  test.each([
    ['all managed', ['examples/quayregistry.yaml']],
    ['some components unmanaged', ['examples/unmanaged-components.yaml']],
  ])('%s: each secretKeyRef and Secret volume names a Secret and key of `keys` (or the bundle, the bucket)', (_name, files) => {
    const synth = run(['synth', ...files.flatMap((f) => ['-f', f]), '--apps-domain', 'apps.example.com']);
    expect(synth.code).toBe(0);
    const objects = yaml.loadAll(synth.stdout) as Obj[];
    const keys = yaml.loadAll(run(['keys', '-n', 'quay-enterprise', 'example-registry']).stdout) as Obj[];
    const available = new Map<string, Set<string>>();
    for (const o of [...objects, ...keys]) if (o.kind === 'Secret') available.set(o.metadata.name, new Set(Object.keys(o.data ?? {})));
    const problems: string[] = [];
    const check = (where: string, name: string, key?: string, optional?: boolean) => {
      if (outside.has(name) || optional) return;
      const found = available.get(name);
      if (!found) problems.push(`${where}: Secret ${name} is neither rendered nor printed by keys`);
      else if (key !== undefined && !found.has(key)) problems.push(`${where}: Secret ${name} has no key ${key}`);
    };
    for (const o of objects) {
      const pod = o.kind === 'Deployment' || o.kind === 'Job' ? o.spec.template.spec : undefined;
      if (!pod) continue;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) check(`${o.metadata.name}/${c.name} env ${e.name}`, ref.name, ref.key, ref.optional);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret) check(`${o.metadata.name} volume ${v.name}`, v.secret.secretName, undefined, v.secret.optional);
        for (const s of v.projected?.sources ?? []) if (s.secret) check(`${o.metadata.name} volume ${v.name}`, s.secret.name, undefined, s.secret.optional);
      }
    }
    expect(problems).toEqual([]);
  });
});
