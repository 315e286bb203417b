// The file-based catalog: catalog/ is what `quay-operator catalog` renders; its upgrade graph is
// well formed (every replaces in its channel, no cycle, one head per channel) and is the upgrade
// rules' (lib/upgrade/supported-upgrades.json): every supported path between its bundles is
// reachable and no edge is an unsupported upgrade. The OLM v0 examples fit it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { GROUP, KIND, VERSION } from '../../lib/api/types';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { bundleAnnotations } from '../../lib/olm/bundle-files';
import { catalogObjects, renderCatalog } from '../../lib/olm/catalog';
import { CATALOG_IMAGE, PACKAGE_NAME, bundleVersion, csvName } from '../../lib/olm/package';
import { ChannelEntry, channels, compareVersions, isSupportedUpgrade, releasedVersions, satisfies, skipRange } from '../../lib/olm/upgrade-graph';
import { validateAll } from '../support/schema';
import { csvOf, defaultBundleFiles, manifestsOf } from './olm-support';

type Obj = Record<string, any>;

const ROOT = path.resolve(__dirname, '../..');
const CATALOG_DIR = path.join(ROOT, 'catalog');

function filesUnder(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

const catalog = catalogObjects(DEFAULT_QUAY_VERSION);
const bySchema = (schema: string) => catalog.filter((o) => o.schema === schema);

/** Where OLM may go from `from` in a channel: entries that replace it or whose skipRange holds it. */
function next(entries: readonly ChannelEntry[], from: string): string[] {
  return entries.filter((e) => e.replaces === csvName(from) || satisfies(e.skipRange, from)).map((e) => e.version);
}

function reachable(entries: readonly ChannelEntry[], from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) for (const v of next(entries, todo.pop()!)) if (!seen.has(v)) todo.push(v), seen.add(v);
  return seen;
}

/** The graph checks, for any list of released versions. */
function expectWellFormed(graph: Map<string, ChannelEntry[]>): void {
  for (const [channel, entries] of graph) {
    const names = new Set(entries.map((e) => e.name));
    // Every replaces exists in its channel.
    for (const e of entries) if (e.replaces) expect([channel, e.name, names.has(e.replaces)]).toEqual([channel, e.name, true]);
    // One head: exactly one entry nothing replaces.
    const replaced = new Set(entries.map((e) => e.replaces).filter(Boolean));
    expect([channel, entries.filter((e) => !replaced.has(e.name)).length]).toEqual([channel, 1]);
    // No cycle: following replaces from any entry ends.
    for (const e of entries) {
      const visited = new Set<string>();
      for (let at: ChannelEntry | undefined = e; at; at = entries.find((x) => x.name === at!.replaces)) {
        expect([channel, at.name, visited.has(at.name)]).toEqual([channel, at.name, false]);
        visited.add(at.name);
      }
    }
    for (const a of entries) {
      // Every edge is a supported upgrade; every supported upgrade between bundles is reachable.
      for (const b of next(entries, a.version)) expect([channel, a.version, b, isSupportedUpgrade(a.version, b)]).toEqual([channel, a.version, b, true]);
      const from = reachable(entries, a.version);
      for (const b of entries) if (isSupportedUpgrade(a.version, b.version)) expect([channel, a.version, b.version, from.has(b.version)]).toEqual([channel, a.version, b.version, true]);
    }
  }
}

describe('catalog/ (committed)', () => {
  test('equals a fresh `quay-operator catalog` render (npm run catalog regenerates it)', () => {
    const fresh = renderCatalog(DEFAULT_QUAY_VERSION);
    expect(filesUnder(CATALOG_DIR).sort()).toEqual(Object.keys(fresh).sort());
    for (const [rel, text] of Object.entries(fresh)) expect([rel, fs.readFileSync(path.join(CATALOG_DIR, rel), 'utf8')]).toEqual([rel, text]);
  });

  test('one olm.package whose default channel exists, with an icon', () => {
    const [pkg, ...others] = bySchema('olm.package');
    expect(others).toEqual([]);
    expect(pkg.name).toBe(PACKAGE_NAME);
    expect(bySchema('olm.channel').map((c) => c.name)).toContain(pkg.defaultChannel);
    expect(pkg.icon.mediatype).toBe('image/svg+xml');
  });

  test('a channel per Quay minor plus stable, each entry a bundle of the catalog', () => {
    const bundles = new Set(bySchema('olm.bundle').map((b) => b.name));
    expect(bySchema('olm.channel').map((c) => c.name)).toEqual(['stable', 'stable-3.17']);
    for (const c of bySchema('olm.channel')) {
      expect(c.package).toBe(PACKAGE_NAME);
      for (const e of c.entries) expect(bundles.has(e.name)).toBe(true);
    }
  });

  test('each olm.bundle: an image, olm.package with its version, olm.gvk of the QuayRegistry; no dependency properties (OLM v1)', () => {
    for (const b of bySchema('olm.bundle')) {
      expect(b.package).toBe(PACKAGE_NAME);
      expect(b.image).toMatch(/^quay\.io\/projectquay\/quay-operator-ts-bundle:v/);
      const props = Object.fromEntries(b.properties.map((p: Obj) => [p.type, p.value]));
      expect(props['olm.package']).toEqual({ packageName: PACKAGE_NAME, version: b.name.replace(`${PACKAGE_NAME}.v`, '') });
      expect(props['olm.gvk']).toEqual({ group: GROUP, kind: KIND, version: VERSION });
      for (const t of ['olm.gvk.required', 'olm.package.required', 'olm.constraint']) expect(props[t]).toBeUndefined();
    }
  });

  test('the upgrade graph is well formed and the upgrade rules\'', () => {
    expectWellFormed(channels(releasedVersions(DEFAULT_QUAY_VERSION)));
  });

  test('the current bundle: its channels and default channel are the catalog\'s, its replaces and skipRange its minor channel entry\'s', () => {
    const version = bundleVersion(DEFAULT_QUAY_VERSION);
    const annotations = bundleAnnotations(DEFAULT_QUAY_VERSION);
    const inChannels = bySchema('olm.channel').filter((c) => c.entries.some((e: Obj) => e.name === csvName(version))).map((c) => c.name);
    expect(annotations['operators.operatorframework.io.bundle.channels.v1'].split(',').sort()).toEqual(inChannels.sort());
    expect(annotations['operators.operatorframework.io.bundle.channel.default.v1']).toBe(bySchema('olm.package')[0].defaultChannel);
    const csv = csvOf(manifestsOf(defaultBundleFiles()));
    const entry = bySchema('olm.channel').find((c) => c.name === annotations['operators.operatorframework.io.bundle.channel.default.v1'])!.entries.find((e: Obj) => e.name === csv.metadata.name);
    expect(csv.spec.replaces).toBe(entry.replaces);
    expect(csv.metadata.annotations['olm.skipRange']).toBe(entry.skipRange);
  });
});

describe('the upgrade graph from supported-upgrades.json', () => {
  const grid: string[] = [];
  for (let minor = 0; minor <= 20; minor++) for (const patch of [0, 1, 7]) grid.push(`3.${minor}.${patch}`);

  test('skipRange holds exactly the versions a direct upgrade is supported from', () => {
    for (const target of ['3.17.3', '3.17.0', '3.6.0', '3.7.2', '3.8.1', '3.9.0', '3.0.4']) {
      for (const from of grid) expect([from, target, satisfies(skipRange(target), from)]).toEqual([from, target, isSupportedUpgrade(from, target)]);
    }
  });

  test('the listed exceptions become ranges: 3.6 from 3.3-3.5, 3.7 from 3.4-3.6, 3.17 from 3.16 only', () => {
    expect(skipRange('3.6.0')).toBe('>=3.3.0 <3.6.0');
    expect(skipRange('3.7.2')).toBe('>=3.4.0 <3.7.2');
    expect(skipRange('3.17.3')).toBe('>=3.16.0 <3.17.3');
  });

  test('a long release history gives well-formed channels: every supported path reachable, no unsupported edge', () => {
    const history = ['3.3.0', '3.4.0', '3.4.2', '3.5.0', '3.6.0', '3.6.1', '3.7.0', '3.8.0', '3.8.3', '3.9.0', '3.10.0', '3.10.1', '3.11.0', '3.16.0', '3.16.4', '3.17.0'];
    const withGap = () => channels([...history]);
    // 3.11 → 3.16 skips minors: the rules forbid it, so `stable` would have two heads.
    expect(withGap).toThrow(/stable: no supported upgrade from 3\.11\.0 to 3\.16\.0/);
    const continuous = history.filter((v) => compareVersions(v, '3.16.0') < 0);
    const graph = channels(continuous);
    expect([...graph.keys()]).toEqual(['stable', 'stable-3.10', 'stable-3.11', 'stable-3.3', 'stable-3.4', 'stable-3.5', 'stable-3.6', 'stable-3.7', 'stable-3.8', 'stable-3.9']);
    expectWellFormed(graph);
    // From 3.3: 3.4 (N-1) or straight to 3.6 (an exception), never 3.5.
    expect(next(graph.get('stable')!, '3.3.0')).toEqual(['3.4.0', '3.4.2', '3.6.0', '3.6.1']);
    expect(reachable(graph.get('stable')!, '3.3.0').has('3.11.0')).toBe(true);
  });

  test('releases.json and the current version: sorted, deduplicated, the current one included', () => {
    expect(releasedVersions('v3.17.3', ['3.17.3', '3.17.1'])).toEqual(['3.17.1', '3.17.3']);
    expect(releasedVersions('v3.17.4', ['3.17.3'])).toEqual(['3.17.3', '3.17.4']);
  });
});

describe('examples/olm', () => {
  const docs = (file: string) => (yaml.loadAll(fs.readFileSync(path.join(ROOT, 'examples/olm', file), 'utf8')) as Obj[]).filter(Boolean);
  const source = () => docs('catalogsource.yaml')[0];
  const install = () => docs('subscription.yaml');

  test('validate against the CRDs in ../shared/crds', () => {
    validateAll([...docs('catalogsource.yaml'), ...install()]);
  });

  test('the CatalogSource serves the catalog image; the Subscription names the package, a channel of the catalog, that source', () => {
    expect(source().spec.image).toBe(CATALOG_IMAGE);
    const sub = install().find((o) => o.kind === 'Subscription')!;
    expect(sub.spec.name).toBe(PACKAGE_NAME);
    expect(bySchema('olm.channel').map((c) => c.name)).toContain(sub.spec.channel);
    expect([sub.spec.source, sub.spec.sourceNamespace]).toEqual([source().metadata.name, source().metadata.namespace]);
  });

  test('the OperatorGroup asks for AllNamespaces, an install mode the CSV supports, next to the Subscription', () => {
    const group = install().find((o) => o.kind === 'OperatorGroup')!;
    const sub = install().find((o) => o.kind === 'Subscription')!;
    expect(group.spec.targetNamespaces).toBeUndefined();
    expect(group.metadata.namespace).toBe(sub.metadata.namespace);
    const modes = csvOf(manifestsOf(defaultBundleFiles())).spec.installModes as Obj[];
    expect(modes.find((m) => m.type === 'AllNamespaces')!.supported).toBe(true);
  });
});
