// Runs the real `quay-operator` binary (built by `npm test` before Jest starts) on the examples.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { validateAll } from '../support/schema';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('quay-operator synth', () => {
  test('renders the example registry: valid, labelled objects on stdout', () => {
    const r = run(['synth', '-f', 'examples/quayregistry.yaml']);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const objects = yaml.loadAll(r.stdout) as any[];
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['Deployment/example-registry-quay-app', 'Deployment/example-registry-quay-database', 'Route/example-registry-quay']));
    for (const o of objects) expect(o.metadata.labels['quay-operator/quayregistry']).toBe('example-registry');
    validateAll(objects);
    // No managed-keys Secret among the inputs: the admin is told where the credentials come from.
    expect(r.stderr).toMatch(/^warning: quay-enterprise\/example-registry: the render holds no credential; .*`quay-operator keys -n quay-enterprise example-registry`/m);
  });

  test('-o writes one file per registry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
    const r = run(['synth', '-f', 'examples/quayregistry.yaml', '-o', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const file = path.join(dir, 'quay-enterprise-example-registry.k8s.yaml');
    expect((yaml.loadAll(fs.readFileSync(file, 'utf8')) as any[]).length).toBeGreaterThan(20);
  });

  test('without the bucket credentials the render is complete: the pods read the claim Secret and ConfigMap when they start', () => {
    const r = run(['synth', '-f', 'examples/minimal.yaml', '--apps-domain', 'apps.example.com']);
    expect(r.code).toBe(0);
    const objects = yaml.loadAll(r.stdout) as any[];
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const k of ['ObjectBucketClaim/example-registry-quay-datastore', 'Deployment/example-registry-quay-app', 'Deployment/example-registry-quay-mirror', 'Job/example-registry-quay-app-upgrade']) {
      expect(kinds).toContain(k);
    }
    const init = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app').spec.template.spec.initContainers[0];
    expect(init.env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'example-registry-quay-datastore', key: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(r.stderr).not.toMatch(/ObjectBucketClaim/);
  });

  test('--bundle: read, never copied; the registry must name the Secret the pods will read it from', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'SERVER_HOSTNAME: quay.example.com\nLDAP_ADMIN_PASSWD: never-in-the-output-1234\n');
    const ok = run(['synth', '-f', 'examples/quayregistry.yaml', '--bundle', path.join(dir, 'config.yaml')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('never-in-the-output-1234');
    const routes = (yaml.loadAll(ok.stdout) as any[]).filter((o) => o.kind === 'Route').map((o) => o.spec.host);
    expect(routes).toContain('quay.example.com');
    const missing = run(['synth', '-f', 'examples/minimal.yaml', '--bundle', path.join(dir, 'config.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('spec.configBundleSecret: not set, but a bundle was given with --bundle');
  });

  test('the proxy variables reach Quay, Clair and mirror exactly as `run` passes them', () => {
    const r = run(['synth', '-f', 'examples/quayregistry.yaml'], { HTTP_PROXY: 'http://proxy.example.com:3128', HTTPS_PROXY: 'http://proxy.example.com:3128', NO_PROXY: '.internal' });
    expect(r.code).toBe(0);
    const objects = yaml.loadAll(r.stdout) as any[];
    for (const name of ['example-registry-quay-app', 'example-registry-quay-mirror', 'example-registry-clair-app']) {
      const env = Object.fromEntries(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
      expect([name, env.HTTP_PROXY, env.HTTPS_PROXY]).toEqual([name, 'http://proxy.example.com:3128', 'http://proxy.example.com:3128']);
      expect(env.NO_PROXY.split(',')).toEqual(expect.arrayContaining(['.internal', 'example-registry-quay-quay-enterprise.apps.example.com']));
    }
    const without = yaml.loadAll(run(['synth', '-f', 'examples/quayregistry.yaml']).stdout) as any[];
    expect(JSON.stringify(without)).not.toContain('HTTP_PROXY');
  });

  test('the minimal registry needs SERVER_HOSTNAME or --apps-domain', () => {
    const r = run(['synth', '-f', 'examples/minimal.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('SERVER_HOSTNAME is not set and the cluster apps domain is unknown');
  });

  test.each([
    ['unmanaged-route.yaml', 'required component `route` marked as unmanaged, but `configBundleSecret` is missing necessary fields'],
    ['unmanaged-tls.yaml', 'required component `tls` marked as unmanaged, but `configBundleSecret` is missing necessary fields'],
    ['unmanaged-postgres.yaml', 'required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields'],
    ['unknown-kind.yaml', 'spec.components[0].kind: unknown component kind `mirroring` (did you mean `mirror`?)'],
    ['bad-yaml.yaml', 'Secret quay-enterprise/config-bundle-secret: config.yaml: invalid YAML at line 4, column'],
  ])('invalid example %s exits 2 with the documented message and prints nothing', (file, message) => {
    const r = run(['synth', '-f', `examples/invalid/${file}`, '--apps-domain', 'apps.example.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: examples/invalid/${file} (QuayRegistry quay-enterprise/example-registry): `);
    expect(r.stderr).toContain(message);
    for (const line of r.stderr.trimEnd().split('\n')) expect(line).toMatch(/^error: /);
  });

  test('a file that is not YAML names the file, line and column', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-'));
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'kind: QuayRegistry\nmetadata: [unclosed\n');
    const r = run(['synth', '-f', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid YAML at line \\d+, column \\d+: `));
  });

  test('a bad image override in the environment is an error naming the variable', () => {
    const r = run(['synth', '-f', 'examples/quayregistry.yaml'], { RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: environment: RELATED_IMAGE_COMPONENT_QUAY: image override must be referenced by tag or digest');
  });

  test('an image override by digest is used', () => {
    const image = `quay.io/projectquay/quay@sha256:${'a'.repeat(64)}`;
    const r = run(['synth', '-f', 'examples/quayregistry.yaml'], { RELATED_IMAGE_COMPONENT_QUAY: image });
    expect(r.code).toBe(0);
    const app = (yaml.loadAll(r.stdout) as any[]).find((o) => o.kind === 'Deployment' && o.metadata.name === 'example-registry-quay-app');
    expect(app.spec.template.spec.containers[0].image).toBe(image);
  });

  test('usage errors exit 2', () => {
    expect(run(['synth']).code).toBe(2);
    expect(run(['synth', '-f', 'examples/quayregistry.yaml', '--platform', 'nomad']).code).toBe(2);
    expect(run(['synth', '--no-such-flag']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
  });
});

describe('quay-operator validate', () => {
  test('valid input: exit 0, no output', () => {
    const r = run(['validate', '-f', 'examples/quayregistry.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  test('invalid input: exit 2 with the problems', () => {
    const r = run(['validate', '-f', 'examples/invalid/unmanaged-postgres.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('required component `postgres` marked as unmanaged');
  });
});

describe('quay-operator crd and help', () => {
  test('crd prints the committed deploy/crd.yaml', () => {
    const r = run(['crd']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fs.readFileSync(path.join(ROOT, 'deploy/crd.yaml'), 'utf8'));
  });

  test.each(['synth', 'validate', 'crd'])('%s --help shows usage and examples', (command) => {
    const r = run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`quay-operator ${command}`);
    expect(r.stdout).toContain('Examples:');
  });
});

describe('the cdk8s app (app.ts, what `npx cdk8s synth` runs)', () => {
  test('renders examples/quayregistry.yaml into the output directory, one file per registry, schema-valid', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'build/app.js')], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', CDK8S_OUTDIR: outdir } });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(outdir)).toEqual(['quay-enterprise-example-registry.k8s.yaml']);
    const objects = yaml.loadAll(fs.readFileSync(path.join(outdir, 'quay-enterprise-example-registry.k8s.yaml'), 'utf8')) as any[];
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Deployment/example-registry-quay-app');
    validateAll(objects);
  });

  test('invalid input: exit 2 with the problems, nothing written', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'build/app.js')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', CDK8S_OUTDIR: outdir, QUAY_REGISTRY_FILES: 'examples/invalid/unmanaged-postgres.yaml' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('required component `postgres` marked as unmanaged');
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});

test('a reader that closes the pipe early (synth | head) ends the CLI quietly, as SIGPIPE would', async () => {
  // Six namespaces' worth (about 430 KB): more than a pipe holds, so writes follow the reader's exit.
  const example = fs.readFileSync(path.join(ROOT, 'examples/quayregistry.yaml'), 'utf8');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'epipe-')), 'registries.yaml');
  fs.writeFileSync(file, [0, 1, 2, 3, 4, 5].map((i) => example.replace(/quay-enterprise/g, `ns-${i}`)).join('\n---\n'));
  const child = spawn(process.execPath, [BIN, 'synth', '-f', file], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect({ code, stderr: stderr.replace(/^warning: .*\n/gm, '') }).toEqual({ code: 141, stderr: '' });
});
