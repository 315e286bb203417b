// `quay-operator bundle` and `quay-operator catalog`, the real binary (build/): the files they write,
// their flags and refusals; and `run` honouring OLM's WATCH_NAMESPACE.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { DEFAULT_OPERATOR_IMAGE } from '../../constructs/operator-install';
import { defaultBundleFiles } from '../olm/olm-support';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'build/lib/cli/bin.js');
const DIGEST = `sha256:${'a'.repeat(64)}`;

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quay-bundle-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) Object.assign(out, filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = fs.readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

const csvIn = (dir: string): Obj => yaml.load(fs.readFileSync(path.join(dir, 'manifests/quay-operator-ts.clusterserviceversion.yaml'), 'utf8')) as Obj;
const containerOf = (csv: Obj): Obj => csv.spec.install.spec.deployments[0].spec.template.spec.containers[0];

describe('quay-operator bundle', () => {
  test('-o DIR writes manifests/, metadata/annotations.yaml and bundle.Dockerfile: the bundle the tests check, byte for byte', () => {
    const r = run(['bundle', '-o', tmp]);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr.trim().split('\n')).toHaveLength(5);
    for (const line of r.stderr.trim().split('\n')) expect(line).toMatch(/^wrote /);
    expect(filesUnder(tmp)).toEqual(defaultBundleFiles());
  });

  test('twice gives the same bytes', () => {
    run(['bundle', '-o', path.join(tmp, 'a')]);
    run(['bundle', '-o', path.join(tmp, 'b')]);
    expect(filesUnder(path.join(tmp, 'a'))).toEqual(filesUnder(path.join(tmp, 'b')));
  });

  test('the operator image is the one `manifests` deploys by default', () => {
    run(['bundle', '-o', tmp]);
    const manifests = (yaml.loadAll(run(['manifests']).stdout) as Obj[]).filter(Boolean);
    const deployment = manifests.find((o) => o.kind === 'Deployment')!;
    expect(containerOf(csvIn(tmp)).image).toBe(deployment.spec.template.spec.containers[0].image);
    expect(containerOf(csvIn(tmp)).image).toBe(DEFAULT_OPERATOR_IMAGE);
  });

  test('--image and --related-image (by name or variable) pin digests in the Deployment and relatedImages; the environment too', () => {
    const operator = `registry.example.com/quay-operator-ts@${DIGEST}`;
    const quay = `registry.example.com/quay@${DIGEST}`;
    const clair = `registry.example.com/clair@${DIGEST}`;
    const redis = `registry.example.com/redis@${DIGEST}`;
    const r = run(['bundle', '-o', tmp, '--image', operator, '--related-image', `quay=${quay}`, '--related-image', `RELATED_IMAGE_COMPONENT_CLAIR=${clair}`], { RELATED_IMAGE_COMPONENT_REDIS: redis });
    expect(r.code).toBe(0);
    const csv = csvIn(tmp);
    const c = containerOf(csv);
    expect(c.image).toBe(operator);
    expect(c.env).toEqual(expect.arrayContaining([
      { name: 'RELATED_IMAGE_COMPONENT_QUAY', value: quay },
      { name: 'RELATED_IMAGE_COMPONENT_CLAIR', value: clair },
      { name: 'RELATED_IMAGE_COMPONENT_REDIS', value: redis },
    ]));
    expect(csv.spec.relatedImages).toEqual(expect.arrayContaining([{ name: 'quay-operator', image: operator }, { name: 'component_quay', image: quay }, { name: 'component_clair', image: clair }, { name: 'component_redis', image: redis }]));
    expect(csv.metadata.annotations.containerImage).toBe(operator);
  });

  test('QUAY_VERSION names the bundle: quay-operator-ts.vX.Y.Z, channel stable-X.Y', () => {
    expect(run(['bundle', '-o', tmp], { QUAY_VERSION: 'v3.17.4', RELATED_IMAGE_COMPONENT_QUAY: 'quay.io/projectquay/quay:v3.17.4' }).code).toBe(0);
    const csv = csvIn(tmp);
    expect([csv.metadata.name, csv.spec.version, csv.spec.replaces, csv.metadata.annotations['olm.skipRange']]).toEqual(['quay-operator-ts.v3.17.4', '3.17.4', 'quay-operator-ts.v3.17.3', '>=3.16.0 <3.17.4']);
    expect(fs.readFileSync(path.join(tmp, 'metadata/annotations.yaml'), 'utf8')).toContain('operators.operatorframework.io.bundle.channel.default.v1: stable-3.17');
  });

  test('a file in manifests/ that is not the bundle\'s is named in a warning (OLM would install it)', () => {
    fs.mkdirSync(path.join(tmp, 'manifests'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'manifests/old.yaml'), 'kind: ConfigMap\n');
    const r = run(['bundle', '-o', tmp]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${path.join(tmp, 'manifests/old.yaml')} is not part of the bundle`);
  });

  test.each([
    [['bundle'], /^error: -o DIR is required/],
    [['bundle', '-o', 'x', '--related-image', 'builder=quay.io/x:1'], /^error: --related-image "builder=quay.io\/x:1": expected NAME=REF/],
    [['bundle', '-o', 'x', '--related-image', 'quay'], /^error: --related-image "quay"/],
    [['bundle', '-o', 'x', '--related-image', 'clair=not a ref'], /^error: bundle: RELATED_IMAGE_COMPONENT_CLAIR: is not a valid image reference/],
    [['bundle', '-o', 'x', '--related-image', 'quay=quay.io/projectquay/quay:v3.16.0'], /^error: bundle: RELATED_IMAGE_COMPONENT_QUAY: `quay.io\/projectquay\/quay:v3.16.0` is Quay v3.16.0 but QUAY_VERSION is/],
    [['bundle', '-o', 'x', '--image', 'quay.io/example/operator'], /^error: bundle: --image: image override must be referenced by tag or digest/],
    [['bundle', '-o', 'x', '--no-such-flag'], /^error: /],
  ])('%j exits 2 with an error and writes nothing', (args, message) => {
    const r = run(args.map((a) => (a === 'x' ? path.join(tmp, 'out') : a)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  test('--help describes the options and shows examples; the usage lists bundle and catalog', () => {
    const r = run(['bundle', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^quay-operator bundle: /);
    for (const flag of ['--output', '--image', '--related-image']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/\nExamples:\n {2}quay-operator bundle -o /);
    expect(run(['help', 'bundle']).stdout).toBe(r.stdout);
    expect(run(['help']).stdout).toMatch(/quay-operator bundle -o DIR[^\n]*\n {2}quay-operator catalog -o DIR/);
  });
});

describe('quay-operator catalog', () => {
  test('-o DIR writes the committed catalog/', () => {
    const r = run(['catalog', '-o', tmp]);
    expect(r.code).toBe(0);
    expect(filesUnder(tmp)).toEqual(filesUnder(path.join(ROOT, 'catalog')));
  });

  test('an upgrade graph the rules do not allow exits 2 and says why', () => {
    const r = run(['catalog', '-o', tmp], { QUAY_VERSION: 'v3.19.0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: catalog: channel stable: no supported upgrade from 3\.17\.3 to 3\.19\.0/);
  });

  test('without -o exits 2; --help shows examples', () => {
    expect(run(['catalog']).code).toBe(2);
    const help = run(['catalog', '--help']);
    expect(help.stdout).toMatch(/^quay-operator catalog: [\s\S]*\nExamples:\n {2}quay-operator catalog -o catalog\//);
  });
});

describe('quay-operator run under OLM', () => {
  test('WATCH_NAMESPACE naming several namespaces (MultiNamespace) exits 2 before touching the cluster', () => {
    const r = run(['run', '--kubeconfig', path.join(tmp, 'none')], { WATCH_NAMESPACE: 'a,b' });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('several namespaces');
  });

  test('--help says WATCH_NAMESPACE is the default of --namespace', () => {
    expect(run(['run', '--help']).stdout).toContain('WATCH_NAMESPACE');
  });
});
