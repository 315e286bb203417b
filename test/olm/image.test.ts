// The operator image (Containerfile): one image reference for `manifests` and the CSV, tagged with
// package.json's version; a non-root final stage holding only what the operator loads at run time.
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { DEFAULT_OPERATOR_IMAGE, operatorDeploymentSpec } from '../../constructs/operator-install';
import { DEFAULT_OPERATOR_IMAGE as CLI_DEFAULT } from '../../lib/cli/main';
import { csvOf, defaultBundleFiles, manifestsOf } from './olm-support';

const ROOT = path.resolve(__dirname, '../..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const CONTAINERFILE = fs.readFileSync(path.join(ROOT, 'Containerfile'), 'utf8');
const lines = CONTAINERFILE.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const finalStage = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));

test('one image reference: DEFAULT_OPERATOR_IMAGE, tagged v<package.json version>, is what `manifests` and the CSV deploy', () => {
  expect(DEFAULT_OPERATOR_IMAGE).toBe(`quay.io/projectquay/quay-operator-ts:v${PACKAGE.version}`);
  expect(CLI_DEFAULT).toBe(DEFAULT_OPERATOR_IMAGE);
  const csv = csvOf(manifestsOf(defaultBundleFiles()));
  expect(csv.spec.install.spec.deployments[0].spec.template.spec.containers[0].image).toBe(DEFAULT_OPERATOR_IMAGE);
  expect(CONTAINERFILE).toContain(`podman build -t ${DEFAULT_OPERATOR_IMAGE} -f Containerfile .`);
});

test('the final stage is a minimal Node base, runs as a numeric non-root user, and starts what the Deployment runs', () => {
  expect(finalStage[0]).toMatch(/^FROM \S+-minimal$/);
  const user = finalStage.filter((l) => l.startsWith('USER ')).pop()!;
  expect(user).toMatch(/^USER [1-9]\d*$/);
  const container = operatorDeploymentSpec({ image: DEFAULT_OPERATOR_IMAGE }).template.spec!.containers[0];
  expect(finalStage).toContain(`ENTRYPOINT ${JSON.stringify(container.command)}`.replace(/","/g, '", "'));
  expect(finalStage).toContain('WORKDIR /opt/quay-operator');
});

test('it copies the production dependencies (npm ci --omit=dev), package.json, the compiled operator and examples/, nothing else', () => {
  const copies = finalStage.filter((l) => l.startsWith('COPY ')).map((l) => l.replace(/^COPY (--from=\S+ )?/, ''));
  expect(copies).toEqual(['/src/node_modules ./node_modules', '/src/package.json ./', '/src/build/lib ./build/lib', '/src/build/constructs ./build/constructs', '/src/build/imports ./build/imports', '/src/examples ./examples']);
  expect(CONTAINERFILE).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
  // The host's node_modules and build never reach the build context.
  expect(fs.readFileSync(path.join(ROOT, '.containerignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules/', 'build/']));
});

test('what the CLI loads at run time is in the copied build directories or in the production dependencies', () => {
  const copied = ['lib', 'constructs', 'imports'].map((d) => path.join(ROOT, 'build', d) + path.sep);
  const external = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    expect([file, copied.some((d) => file.startsWith(d))]).toEqual([file, true]);
    if (!file.endsWith('.js')) return;
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      if (spec.startsWith('.')) {
        const base = path.resolve(path.dirname(file), spec);
        visit([base, `${base}.js`, path.join(base, 'index.js')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile())!);
      } else external.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(path.join(ROOT, 'build/lib/cli/bin.js'));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const m of external) expect([m, builtins.has(m) || m in PACKAGE.dependencies]).toEqual([m, true]);
  // The image omits optional dependencies: none of what the CLI loads may be one, nor anything it needs.
  const installed = imagePackages();
  for (const m of external) if (!builtins.has(m)) expect([m, installed.has(m)]).toEqual([m, true]);
});

/** The packages `npm ci --omit=dev --omit=optional` installs, by name: the lockfile's closure of the dependencies. */
function imagePackages(): Set<string> {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string> }> };
  const names = new Set<string>();
  const visit = (name: string) => {
    if (names.has(name)) return;
    names.add(name);
    for (const dep of Object.keys(lock.packages[`node_modules/${name}`]?.dependencies ?? {})) visit(dep);
  };
  for (const name of Object.keys(PACKAGE.dependencies)) visit(name);
  return names;
}

test('the image has no optional dependency: cdk8s-plus-27 declares `backport` (and axios 0.27) optional, and nothing the operator needs', () => {
  const installed = imagePackages();
  expect(installed.has('backport')).toBe(false);
  expect(installed.has('axios')).toBe(false);
  expect(installed.has('js-yaml')).toBe(true);
});
