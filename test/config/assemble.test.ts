// The init container's Python (lib/config/assemble.ts, ASSEMBLE_PY) run for real, with the
// ConfigMap and bundle files a render gives it and the environment the kubelet would: it must write
// the config quayConfig() computes, copy the bundle's files, escape what a value holds, and fail
// with a message naming what is missing. Python 3 with PyYAML is what the Quay image runs it with;
// .ci/run installs Debian's python3-yaml when the machine's python3 lacks it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { assembleConfig, AssemblySpec, resolveEnvRefs } from '../../lib/config/assemble';
import { CONFIG_ENV, knownConfigEnv, quayConfig } from '../../lib/config/quay-config';
import type { RegistryModel } from '../../lib/model';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';

function findPython(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(candidate, ['-c', 'import yaml'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  throw new Error('no python3 with PyYAML here: install Debian\'s python3-yaml (.ci/run does)');
}
const PYTHON = findPython();

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly config?: Record<string, unknown>;
  readonly stack: string;
}

/** Runs the rendered assembly of `model` with the bundle's files in a temporary /quay-bundle. */
function runAssembly(model: RegistryModel, env: Record<string, string>, bundleFiles?: Map<string, Buffer>): Run {
  const configMap = renderRegistry(model).objects.find((o) => o.kind === 'ConfigMap' && /-quay-config-[0-9a-f]{10}$/.test(o.metadata.name)) as any;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'assemble-'));
  const dirs = { '/quay-bundle': path.join(root, 'bundle'), '/quay-config-assembly': path.join(root, 'assembly'), '/conf/stack': path.join(root, 'stack') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d);
  for (const [k, v] of bundleFiles ?? model.bundle.files) fs.writeFileSync(path.join(dirs['/quay-bundle'], k), v);
  let spec: string = configMap.data['spec.json'];
  for (const [from, to] of Object.entries(dirs)) spec = spec.split(`"${from}/`).join(`"${to}/`);
  fs.writeFileSync(path.join(dirs['/quay-config-assembly'], 'spec.json'), spec);
  fs.writeFileSync(path.join(dirs['/quay-config-assembly'], 'assemble.py'), configMap.data['assemble.py']);
  const r = spawnSync(PYTHON, [path.join(dirs['/quay-config-assembly'], 'assemble.py'), path.join(dirs['/quay-config-assembly'], 'spec.json')], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const out = path.join(dirs['/conf/stack'], 'config.yaml');
  return { status: r.status, stderr: r.stderr, stack: dirs['/conf/stack'], ...(fs.existsSync(out) ? { config: yaml.load(fs.readFileSync(out, 'utf8')) as Record<string, unknown> } : {}) };
}

const BUNDLE = {
  'config.yaml': 'REGISTRY_TITLE: Ours\nSECRET_KEY: user-secret-key\nFEATURE_MAILING: true\nLDAP_ADMIN_PASSWD: "p@ss: \\"quoted\\""\n',
  'extra_ca_cert_internal.crt': 'a CA',
  'custom.py': '# a file of the bundle Quay reads\n',
};

describe('the config assembly script (python3, as in the Quay image)', () => {
  test.each([
    ['all managed, no bundle', () => testModel()],
    ['all managed, a bundle', () => testModel({ files: BUNDLE })],
    ['unmanaged postgres, redis and storage', () =>
      testModel({
        files: {
          'config.yaml':
            'DB_URI: postgresql://u:pw@db.example.com/quay\nBUILDLOGS_REDIS: {host: r}\nUSER_EVENTS_REDIS: {host: r}\nDISTRIBUTED_STORAGE_CONFIG: {s3: [S3Storage, {host: s3.example.com}]}\nDISTRIBUTED_STORAGE_PREFERENCE: [s3]\nDISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [s3]\n',
        },
        spec: { components: [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }, { kind: 'objectstorage', managed: false }] },
      })],
  ])('%s: writes what quayConfig() says, and copies the bundle files', (_name, make) => {
    const model = make();
    const run = runAssembly(model, knownConfigEnv(model));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.config).toEqual(quayConfig(model));
    const copied = fs.readdirSync(run.stack).sort();
    const expected = ['config.yaml', ...[...model.bundle.files.keys()].filter((k) => k !== 'config.yaml' && !k.startsWith('extra_ca_cert_'))].sort();
    expect(copied).toEqual(expected);
  });

  test('credentials with quotes, backslashes and newlines arrive intact (escaped by the YAML writer)', () => {
    const model = testModel();
    const env = { ...knownConfigEnv(model), [CONFIG_ENV.bucketSecretKey]: 'a"b\\c\nd: e', [CONFIG_ENV.dbUri]: "postgresql://u:p'\"#@h/d" };
    const run = runAssembly(model, env);
    expect(run.status).toBe(0);
    const storage = (run.config!.DISTRIBUTED_STORAGE_CONFIG as any).local_us[1];
    expect(storage.secret_key).toBe('a"b\\c\nd: e');
    expect(run.config!.DB_URI).toBe("postgresql://u:p'\"#@h/d");
    expect(run.config).toEqual(assembleConfig(JSON.parse(JSON.stringify(specOf(model))), {}, env));
  });

  test('the bucket port: an integer from the ConfigMap, 443 when the provisioner gives none', () => {
    const model = testModel();
    const { [CONFIG_ENV.bucketPort]: _port, ...withoutPort } = knownConfigEnv(model);
    void _port;
    const portOf = (r: Run) => (r.config!.DISTRIBUTED_STORAGE_CONFIG as any).local_us[1].port;
    expect(portOf(runAssembly(model, withoutPort))).toBe(443);
    expect(portOf(runAssembly(model, { ...withoutPort, [CONFIG_ENV.bucketPort]: '8443' }))).toBe(8443);
    const bad = runAssembly(model, { ...withoutPort, [CONFIG_ENV.bucketPort]: 'https' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("quay-config-init: environment variable BUCKET_PORT is not an integer: 'https'\n");
  });

  test('a missing variable, or a bundle that lost a file since the render: a message naming it, exit 1', () => {
    const model = testModel({ files: BUNDLE });
    const { [CONFIG_ENV.dbUri]: _uri, ...noUri } = knownConfigEnv(model);
    void _uri;
    expect(runAssembly(model, noUri)).toMatchObject({ status: 1, stderr: 'quay-config-init: environment variable QUAY_DB_URI is not set\n' });
    const lost = new Map(model.bundle.files);
    lost.delete('custom.py');
    expect(runAssembly(model, knownConfigEnv(model), lost)).toMatchObject({ status: 1, stderr: 'quay-config-init: the config bundle has no custom.py: render the registry again\n' });
  });

  test('a config.yaml that is not a mapping is refused', () => {
    const model = testModel({ files: BUNDLE });
    const files = new Map(model.bundle.files);
    files.set('config.yaml', Buffer.from('- a list\n'));
    expect(runAssembly(model, knownConfigEnv(model), files)).toMatchObject({ status: 1, stderr: 'quay-config-init: config.yaml of the config bundle is not a mapping\n' });
  });
});

function specOf(model: RegistryModel): AssemblySpec {
  const configMap = renderRegistry(model).objects.find((o) => o.kind === 'ConfigMap' && /-quay-config-[0-9a-f]{10}$/.test(o.metadata.name)) as any;
  return JSON.parse(configMap.data['spec.json']);
}

describe('resolveEnvRefs (the same rules in TypeScript)', () => {
  test('placeholders anywhere, integers, defaults; an unset variable is an error', () => {
    const value = { a: [{ $env: 'X' }, { b: { $env: 'N', as: 'int' } }], c: { $env: 'MISSING', default: 443 }, d: { $env: 'not', other: 1 } };
    expect(resolveEnvRefs(value, { X: 'x', N: '42' })).toEqual({ a: ['x', { b: 42 }], c: 443, d: { $env: 'not', other: 1 } });
    expect(() => resolveEnvRefs({ $env: 'MISSING' }, {})).toThrow('environment variable MISSING is not set');
  });
});
