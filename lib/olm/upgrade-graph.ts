// The OLM upgrade graph from the one source of the upgrade rules (lib/upgrade/supported-upgrades.json
// through versions.ts): each bundle's skipRange (every version a direct upgrade to it is supported
// from) and, per channel, `replaces` (the previous bundle in the channel, when that step is supported).
import { QuayVersion, UPGRADE_EXCEPTIONS, decideUpgrade, parseQuayVersion } from '../upgrade/versions';
import RELEASES from './releases.json';
import { STABLE_CHANNEL, bundleVersion, csvName, minorChannel } from './package';

function parse(version: string): QuayVersion {
  const v = parseQuayVersion(version);
  if (!v) throw new Error(`${JSON.stringify(version)} is not a version (X.Y.Z)`);
  return v;
}

/** Semver order (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (const k of ['major', 'minor', 'patch'] as const) if (x[k] !== y[k]) return x[k] - y[k];
  if (x.prerelease === y.prerelease) return 0;
  if (x.prerelease === undefined) return 1;
  if (y.prerelease === undefined) return -1;
  return x.prerelease < y.prerelease ? -1 : 1;
}

/** True when a direct upgrade from `from` to `to` is supported (the operator's own rule). */
export function isSupportedUpgrade(from: string, to: string): boolean {
  return compareVersions(from, to) < 0 && decideUpgrade(`v${from}`, `v${to}`).kind === 'upgrade';
}

/**
 * The olm.skipRange of a bundle: its minor's earlier patches, the previous minor (N-1) and the
 * listed exceptions into its minor, as `>=A <B` ranges joined by `||` (blang/semver syntax).
 */
export function skipRange(version: string): string {
  const t = parse(version);
  const minors = new Set<number>(t.minor > 0 ? [t.minor - 1] : []);
  for (const e of UPGRADE_EXCEPTIONS) {
    const [fromMajor, fromMinor] = e.from.split('.').map(Number);
    const [toMajor, toMinor] = e.to.split('.').map(Number);
    if (fromMajor === t.major && toMajor === t.major && toMinor === t.minor) minors.add(fromMinor);
  }
  // Consecutive minors make one range; the run that ends at N-1 runs on to this bundle.
  const runs: [number, number][] = [];
  for (const m of [...minors].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && last[1] === m - 1) last[1] = m;
    else runs.push([m, m]);
  }
  const ranges = runs.map(([a, b]) => `>=${t.major}.${a}.0 <${b === t.minor - 1 ? version : `${t.major}.${b + 1}.0`}`);
  if (!runs.some(([, b]) => b === t.minor - 1)) ranges.push(`>=${t.major}.${t.minor}.0 <${version}`);
  return ranges.join(' || ');
}

/** Whether `version` satisfies a range as skipRange() writes them (semver: pre-releases only next to their own version). */
export function satisfies(range: string, version: string): boolean {
  const v = parse(version);
  return range.split('||').some((group) => {
    const comparators = group.trim().split(/\s+/).map((c) => {
      const m = /^(>=|<)(.+)$/.exec(c);
      if (!m) throw new Error(`unsupported comparator ${JSON.stringify(c)} in ${JSON.stringify(range)}`);
      return { op: m[1], bound: m[2] };
    });
    if (v.prerelease !== undefined && !comparators.some((c) => { const b = parse(c.bound); return b.prerelease !== undefined && b.major === v.major && b.minor === v.minor && b.patch === v.patch; })) return false;
    return comparators.every((c) => (c.op === '>=' ? compareVersions(version, c.bound) >= 0 : compareVersions(version, c.bound) < 0));
  });
}

export interface ChannelEntry {
  readonly name: string;
  readonly version: string;
  readonly replaces?: string;
  readonly skipRange: string;
}

/**
 * One channel's entries, oldest first: each replaces the one before it. A step the rules do not
 * support (a skipped minor) would leave two heads, so it throws instead.
 */
export function channelEntries(channel: string, versions: readonly string[]): ChannelEntry[] {
  const sorted = [...versions].sort(compareVersions);
  return sorted.map((version, i) => {
    const previous = sorted[i - 1];
    if (previous !== undefined && !isSupportedUpgrade(previous, version)) {
      throw new Error(`channel ${channel}: no supported upgrade from ${previous} to ${version} (lib/upgrade/supported-upgrades.json); release the versions between them first`);
    }
    return { name: csvName(version), version, ...(previous !== undefined ? { replaces: csvName(previous) } : {}), skipRange: skipRange(version) };
  });
}

/** The released bundle versions (releases.json) and the current one, oldest first. */
export function releasedVersions(quayVersion: string, released: readonly string[] = RELEASES.bundles): string[] {
  const current = bundleVersion(quayVersion);
  return [...new Set([...released.map(bundleVersion), current])].sort(compareVersions);
}

/** Every channel of the catalog: one per minor and `stable` with everything. */
export function channels(versions: readonly string[]): Map<string, ChannelEntry[]> {
  const byChannel = new Map<string, string[]>();
  for (const v of versions) {
    for (const c of [minorChannel(v), STABLE_CHANNEL]) byChannel.set(c, [...(byChannel.get(c) ?? []), v]);
  }
  return new Map([...byChannel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, vs]) => [c, channelEntries(c, vs)]));
}

/**
 * The CSV's spec.replaces: the previous patch of its minor, the same in every channel the bundle is
 * in. The step from the previous minor is the skipRange's, and `stable`'s catalog entry.
 */
export function csvReplaces(version: string, versions: readonly string[]): string | undefined {
  const entries = channelEntries(minorChannel(version), versions.filter((v) => minorChannel(v) === minorChannel(version) && compareVersions(v, version) <= 0));
  return entries[entries.length - 1]?.replaces;
}
