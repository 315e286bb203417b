// The seeds' upgrade rules, row by row ("Upgrading the Quay Operator"; "Upgrading a QuayRegistry").
import SUPPORTED from '../../lib/upgrade/supported-upgrades.json';
import { decideUpgrade, parseQuayVersion } from '../../lib/upgrade/versions';

describe('decideUpgrade', () => {
  test('status.currentVersion unset or equal: a normal reconcile', () => {
    expect(decideUpgrade(undefined, 'v3.8.5')).toEqual({ kind: 'none' });
    expect(decideUpgrade('', 'v3.8.5')).toEqual({ kind: 'none' });
    expect(decideUpgrade('v3.8.5', 'v3.8.5')).toEqual({ kind: 'none' });
  });

  test('the listed N-2/N-3 exceptions, exactly the seeds\' list', () => {
    expect(SUPPORTED.exceptions).toEqual([
      { from: '3.3', to: '3.6' },
      { from: '3.4', to: '3.6' },
      { from: '3.4', to: '3.7' },
      { from: '3.5', to: '3.7' },
      { from: '3.7', to: '3.8' },
    ]);
  });

  test.each([
    // N-1, the seeds' examples.
    ['3.0.5', 'v3.1.3'],
    ['v3.1.3', 'v3.2.2'],
    ['v3.2.2', 'v3.3.4'],
    ['v3.3.4', 'v3.4.0'],
    ['v3.4.2', 'v3.5.1'],
    // z-stream.
    ['v3.4.2', 'v3.4.3'],
    // The exceptions.
    ['v3.3.4', 'v3.6.0'],
    ['v3.4.6', 'v3.6.2'],
    ['v3.4.6', 'v3.7.1'],
    ['v3.5.7', 'v3.7.0'],
    ['v3.7.14', 'v3.8.0'],
    // A release after its own pre-release; a later pre-release after an earlier one.
    ['v3.9.0-rc1', 'v3.9.0'],
    ['v3.9.0-rc1', 'v3.9.0-rc2'],
    // The same version spelled differently: nothing to migrate, but the status is written anew.
    ['3.8.1', 'v3.8.1'],
    ['3.9.0-rc1', 'v3.9.0-rc1'],
  ])('%s → %s: upgrade', (from, to) => {
    expect(decideUpgrade(from, to)).toEqual({ kind: 'upgrade', from, to });
  });

  test.each([
    ['v3.9.0', 'v3.8.5', 'cannot upgrade from v3.9.0 to v3.8.5: a downgrade is not supported (the database was migrated to v3.9.0); install an operator of 3.9 or later'],
    ['v3.8.5', 'v3.8.4', 'cannot upgrade from v3.8.5 to v3.8.4: a downgrade is not supported (the database was migrated to v3.8.5); install an operator of 3.8 or later'],
    ['v3.0.5', 'v3.5.0', 'cannot upgrade from v3.0.5 to v3.5.0: 3.0 → 3.5 skips minor versions; upgrade one supported step at a time: 3.0 → 3.1 → 3.2 → 3.3 → 3.4 → 3.5 (an operator of each version in turn)'],
    ['v3.3.4', 'v3.8.0', 'cannot upgrade from v3.3.4 to v3.8.0: 3.3 → 3.8 skips minor versions; upgrade one supported step at a time: 3.3 → 3.6 → 3.7 → 3.8 (an operator of each version in turn)'],
    ['v3.6.4', 'v3.8.0', 'cannot upgrade from v3.6.4 to v3.8.0: 3.6 → 3.8 skips minor versions; upgrade one supported step at a time: 3.6 → 3.7 → 3.8 (an operator of each version in turn)'],
    ['v3.5.7', 'v3.9.0', 'cannot upgrade from v3.5.7 to v3.9.0: 3.5 → 3.9 skips minor versions; upgrade one supported step at a time: 3.5 → 3.7 → 3.8 → 3.9 (an operator of each version in turn)'],
    ['v3.9.0-rc2', 'v3.9.0-rc1', 'cannot upgrade from v3.9.0-rc2 to v3.9.0-rc1: a downgrade is not supported (the database was migrated to v3.9.0-rc2); install an operator of 3.9 or later'],
    ['v3.9.0', 'v3.9.0-rc1', 'cannot upgrade from v3.9.0 to v3.9.0-rc1: a downgrade is not supported (the database was migrated to v3.9.0); install an operator of 3.9 or later'],
    // An exception that lands exactly on the target is taken from an intermediate step too.
    ['v3.2.0', 'v3.6.0', 'cannot upgrade from v3.2.0 to v3.6.0: 3.2 → 3.6 skips minor versions; upgrade one supported step at a time: 3.2 → 3.3 → 3.6 (an operator of each version in turn)'],
    ['v2.9.5', 'v3.1.0', 'cannot upgrade from v2.9.5 to v3.1.0: no supported path between major versions 2 and 3'],
    // The same or the next minor number in another major is no path either.
    ['v2.8.0', 'v3.8.0', 'cannot upgrade from v2.8.0 to v3.8.0: no supported path between major versions 2 and 3'],
    ['v2.7.0', 'v3.8.0', 'cannot upgrade from v2.7.0 to v3.8.0: no supported path between major versions 2 and 3'],
    ['banana', 'v3.8.0', 'cannot upgrade from banana to v3.8.0: banana is not a Quay version (vX.Y.Z); set status.currentVersion right or restore the registry\'s previous operator'],
    ['v3.8.0', 'latest', 'cannot upgrade from v3.8.0 to latest: the operator\'s QUAY_VERSION latest is not a Quay version (vX.Y.Z)'],
  ])('%s → %s: refused', (from, to, message) => {
    expect(decideUpgrade(from, to)).toEqual({ kind: 'unsupported', from, to, message });
  });

  test('versions: with or without v, with a pre-release', () => {
    expect(parseQuayVersion('v3.8.5')).toEqual({ major: 3, minor: 8, patch: 5 });
    expect(parseQuayVersion('3.99.0-dev')).toEqual({ major: 3, minor: 99, patch: 0, prerelease: 'dev' });
    expect(parseQuayVersion('3.8')).toBeUndefined();
    expect(parseQuayVersion(' v10.11.12\n')).toEqual({ major: 10, minor: 11, patch: 12 });
    // The whole text is the version: nothing before or after it.
    expect(parseQuayVersion('quay-v3.8.5')).toBeUndefined();
    expect(parseQuayVersion('3.8.5.1')).toBeUndefined();
  });
});

test("the README's Upgrades table lists exactly the data file's exceptions", () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Upgrades'), readme.indexOf('## Benchmark'));
  const rows = [...section.matchAll(/^\| (\d+\.\d+)\.z \| (\d+\.\d+)\.z \|$/gm)].map((m) => ({ from: m[1], to: m[2] }));
  expect(rows).toEqual(SUPPORTED.exceptions);
});
