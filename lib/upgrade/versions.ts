// The seeds' upgrade rules for a QuayRegistry: status.currentVersion unset or equal to the
// operator's Quay version → a normal reconcile; different and on a supported path → upgrade
// (migrations); anything else (a downgrade, a skipped minor outside the listed exceptions, a version
// that cannot be read) → refused, with nothing changed.
import SUPPORTED from './supported-upgrades.json';

export interface QuayVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** `-dev`, `-rc1`, ...: a pre-release sorts before its release. */
  readonly prerelease?: string;
}

export interface UpgradePath {
  readonly from: string;
  readonly to: string;
}

/** The minor-version exceptions to N-1, from the data file. */
export const UPGRADE_EXCEPTIONS: readonly UpgradePath[] = SUPPORTED.exceptions;

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

export function parseQuayVersion(text: string): QuayVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), ...(m[4] ? { prerelease: m[4] } : {}) };
}

const minorOf = (v: QuayVersion) => `${v.major}.${v.minor}`;

/** Orders two Quay versions: negative, 0 or positive as `a` is older than, the same as or newer than `b`. */
export function compareQuayVersions(a: QuayVersion, b: QuayVersion): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === undefined) return 1;
  if (b.prerelease === undefined) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

export type UpgradeDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'upgrade'; readonly from: string; readonly to: string }
  | { readonly kind: 'unsupported'; readonly from: string; readonly to: string; readonly message: string };

/** The minor versions to go through, one supported step at a time, from `from` to `to` (same major). */
function pathBetween(from: QuayVersion, to: QuayVersion): string[] {
  const steps: string[] = [];
  let minor = from.minor;
  while (minor < to.minor) {
    // The longest supported jump from here that does not pass the target.
    const jumps = UPGRADE_EXCEPTIONS.filter((e) => e.from === `${from.major}.${minor}`)
      .map((e) => Number(e.to.split('.')[1]))
      .filter((m) => m <= to.minor);
    minor = Math.max(minor + 1, ...jumps);
    steps.push(`${from.major}.${minor}`);
  }
  return steps;
}

/** What to do with a registry at `current` (status.currentVersion) for an operator deploying `target`. */
export function decideUpgrade(current: string | undefined, target: string): UpgradeDecision {
  if (current === undefined || current === '' || current === target) return { kind: 'none' };
  const from = parseQuayVersion(current);
  const to = parseQuayVersion(target);
  const refuse = (why: string) => ({ kind: 'unsupported' as const, from: current, to: target, message: `cannot upgrade from ${current} to ${target}: ${why}` });
  if (!from) return refuse(`${current} is not a Quay version (vX.Y.Z); set status.currentVersion right or restore the registry's previous operator`);
  if (!to) return refuse(`the operator's QUAY_VERSION ${target} is not a Quay version (vX.Y.Z)`);
  const order = compareQuayVersions(from, to);
  if (order > 0) return refuse(`a downgrade is not supported (the database was migrated to ${current}); install an operator of ${minorOf(from)} or later`);
  if (order === 0) return { kind: 'upgrade', from: current, to: target }; // the same version spelled differently (3.8.1 vs v3.8.1)
  const sameMinor = from.major === to.major && from.minor === to.minor;
  const nextMinor = from.major === to.major && to.minor === from.minor + 1;
  const exception = UPGRADE_EXCEPTIONS.some((e) => e.from === minorOf(from) && e.to === minorOf(to));
  if (sameMinor || nextMinor || exception) return { kind: 'upgrade', from: current, to: target };
  if (from.major !== to.major) return refuse(`no supported path between major versions ${from.major} and ${to.major}`);
  const path = pathBetween(from, to);
  return refuse(`${minorOf(from)} → ${minorOf(to)} skips minor versions; upgrade one supported step at a time: ${[minorOf(from), ...path].join(' → ')} (an operator of each version in turn)`);
}
