// spec.backup's checks one by one, straight on parseBackup and cronProblem: each field's limits at
// their edges (one in, one out), each cron field's range, names, steps and lists, and what parseBackup
// returns. backup.test.ts covers the messages through parseQuayRegistry and the CRD.
import { backupComponents, backupObjectPrefix, cronProblem, parseBackup, parseDumpName } from '../../lib/api/backup';
import { Problem, problem } from '../../lib/problems';

/** parseBackup's answer and its problems as `path: message`. */
function check(raw: unknown, unmanaged: string[] = []) {
  const problems: Problem[] = [];
  const backup = parseBackup(raw, new Set(unmanaged), problems);
  return { backup, problems: problems.map((p) => `${p.path}: ${p.message}`) };
}
const refused = (raw: unknown, unmanaged: string[] = []) => check(raw, unmanaged).problems;
const withDestination = (destination: unknown) => ({ schedule: '@daily', destination });

describe('cronProblem: a schedule the CronJob controller accepts', () => {
  test.each([
    '0 0 1 1 0',
    '59 23 31 12 7',
    '0,30 * * * *',
    '0-59/10 0-23 1-31 1-12 0-7',
    '3-3 * * * *',
    '0 3 * JAN *',
    '0 3 * DEC *',
    '0 3 * FEB-NOV *',
    '0 3 * * SUN',
    '0 3 * * SAT',
    '0 3 * * SUN-0',
    '0 3 * * mon,wed,fri',
    '0 3 ? * *',
    '0 3 * * ?',
    '*/5 * * * *',
    '*/10 * * * *',
    '0  3\t* * *',
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    ' @daily ',
  ])('%j', (schedule) => {
    expect(cronProblem(schedule)).toBeUndefined();
  });
});

describe('cronProblem: why a schedule is refused', () => {
  test.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['CRON_TZ=UTC 0 3 * * *', 'must not set a time zone in the schedule (TZ=...): use spec.backup.timeZone'],
    ['xTZ=UTC 3 * * *', 'minute "xTZ=UTC": "xTZ=UTC" is not a value or a range a-b'],
    ['@DAILY', '"@DAILY" is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
    ['0 3 * * * *', '"0 3 * * * *" has 6 fields; a schedule has 5: minute hour day-of-month month day-of-week (e.g. "0 3 * * *")'],
    ['60 * * * *', 'minute "60": values are 0-59'],
    ['0 24 * * *', 'hour "24": values are 0-23'],
    ['0 3 0 * *', 'day of month "0": values are 1-31'],
    ['0 3 32 * *', 'day of month "32": values are 1-31'],
    ['0 3 * 0 *', 'month "0": values are 1-12'],
    ['0 3 * 13 *', 'month "13": values are 1-12'],
    ['0 3 * * 8', 'day of week "8": values are 0-7'],
    ['0-60 * * * *', 'minute "0-60": values are 0-59'],
    ['5-3 * * * *', 'minute "5-3": values are 0-59, the range must go up'],
    ['0 3 * DEC-JAN *', 'month "DEC-JAN": values are 1-12, the range must go up'],
    ['0 3 * * SAT-SUN', 'day of week "SAT-SUN": values are 0-7, the range must go up'],
    ['JAN * * * *', 'minute "JAN": "JAN" is not a value or a range a-b'],
    ['0 3 * * JAN', 'day of week "JAN": "JAN" is not a value or a range a-b'],
    ['0 3 * SUN *', 'month "SUN": "SUN" is not a value or a range a-b'],
    ['? * * * *', 'minute "?": "?" is not a value or a range a-b'],
    ['0 ? * * *', 'hour "?": "?" is not a value or a range a-b'],
    ['0 3 * ? *', 'month "?": "?" is not a value or a range a-b'],
    ['0,61 * * * *', 'minute "0,61": values are 0-59'],
    ['0,,30 * * * *', 'minute "0,,30": "" is not a value or a range a-b'],
    ['1-2-3 * * * *', 'minute "1-2-3": "1-2-3" is not a value or a range a-b'],
    ['1- * * * *', 'minute "1-": "1-" is not a value or a range a-b'],
    ['-1 * * * *', 'minute "-1": "-1" is not a value or a range a-b'],
    ['1x * * * *', 'minute "1x": "1x" is not a value or a range a-b'],
    ['x1 * * * *', 'minute "x1": "x1" is not a value or a range a-b'],
    ['*/5/2 * * * *', 'minute "*/5/2": a step is /n with n of at least 1'],
    ['*/ * * * *', 'minute "*/": a step is /n with n of at least 1'],
    ['*/05 * * * *', 'minute "*/05": a step is /n with n of at least 1'],
    ['*/5x * * * *', 'minute "*/5x": a step is /n with n of at least 1'],
    ['*/x5 * * * *', 'minute "*/x5": a step is /n with n of at least 1'],
    ['x/5 * * * *', 'minute "x/5": "x" is not a value or a range a-b'],
  ])('%j: %s', (schedule, why) => {
    expect(cronProblem(schedule)).toBe(why);
  });
});

describe('parseBackup', () => {
  test('absent or null: no backups, nothing to say', () => {
    expect(check(undefined)).toEqual({ backup: undefined, problems: [] });
    expect(check(null)).toEqual({ backup: undefined, problems: [] });
  });

  test.each([[[]], ['daily'], [7]])('%j is not a mapping', (raw) => {
    expect(check(raw)).toEqual({ backup: undefined, problems: ['spec.backup: must be a mapping with schedule, and optionally retention, components, destination, timeZone, suspend'] });
  });

  test('a valid one is returned as written, even after problems elsewhere in the registry', () => {
    const raw = { schedule: '@daily', retention: 3 };
    const problems: Problem[] = [problem('spec.configBundleSecret', 'earlier')];
    expect(parseBackup(raw, new Set(), problems)).toBe(raw);
    expect(problems).toHaveLength(1);
  });

  test('a schedule that is not text is asked for', () => {
    expect(check({ schedule: 3 })).toEqual({ backup: undefined, problems: ['spec.backup.schedule: is required: a cron schedule such as "0 3 * * *" (03:00 every day)'] });
  });

  test.each(['Etc/UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+1', 'Etc/GMT-14', 'x'.repeat(64)])('time zone %j: accepted', (timeZone) => {
    expect(refused({ schedule: '@daily', timeZone })).toEqual([]);
  });

  test.each([['Europe Berlin'], [5], ['x'.repeat(65)], ['']])('time zone %j: refused', (timeZone) => {
    expect(refused({ schedule: '@daily', timeZone })).toEqual([`spec.backup.timeZone: ${JSON.stringify(timeZone)} is not an IANA time zone name such as Etc/UTC`]);
  });

  test.each([1, 1000])('retention %j: accepted', (retention) => {
    expect(refused({ schedule: '@daily', retention })).toEqual([]);
  });

  test.each([[0], [1001], [1.5], ['7'], [-1]])('retention %j: refused', (retention) => {
    expect(refused({ schedule: '@daily', retention })).toEqual(['spec.backup.retention: must be a whole number from 1 to 1000 (how many dumps of each database to keep)']);
  });

  test('suspend is true or false', () => {
    expect(refused({ schedule: '@daily', suspend: true })).toEqual([]);
    expect(refused({ schedule: '@daily', suspend: 'yes' })).toEqual(['spec.backup.suspend: must be true or false']);
  });

  test.each([[[]], ['postgres'], [{ postgres: true }]])('components %j: refused', (components) => {
    expect(refused({ schedule: '@daily', components })).toEqual(['spec.backup.components: must be a non-empty list of postgres, clairpostgres']);
  });

  test('components: each must be managed, whatever else is unmanaged', () => {
    expect(refused({ schedule: '@daily', components: ['postgres', 'clairpostgres'] }, ['clair', 'redis'])).toEqual([]);
    expect(refused({ schedule: '@daily' }, ['clairpostgres'])).toEqual([]);
    expect(refused({ schedule: '@daily', components: ['clairpostgres', 'postgres'] }, ['postgres'])).toEqual([
      "spec.backup.components[1]: `postgres` is unmanaged: back up your own database with your provider's tools (the operator dumps only databases it runs)",
    ]);
    expect(refused({ schedule: '@daily', components: ['clairpostgres'] }, ['postgres'])).toEqual([]);
  });

  test('every problem is reported, each naming its field', () => {
    expect(refused({ schedule: '', retention: 0, suspend: 1, extra: true })).toEqual([
      'spec.backup.extra: unknown field; spec.backup has schedule, timeZone, retention, components, destination, suspend',
      'spec.backup.schedule: not a cron schedule: is empty',
      'spec.backup.retention: must be a whole number from 1 to 1000 (how many dumps of each database to keep)',
      'spec.backup.suspend: must be true or false',
    ]);
  });

  describe('destination', () => {
    test.each([['pvc'], [[]]])('%j is not a mapping', (destination) => {
      expect(refused(withDestination(destination))).toEqual(['spec.backup.destination: must be a mapping with persistentVolumeClaim or objectStorage']);
    });

    test('objectStorage: limits at their edges', () => {
      expect(refused(withDestination({ objectStorage: { prefix: 'x'.repeat(200), location: 'l'.repeat(128) } }))).toEqual([]);
      expect(refused(withDestination({ objectStorage: { prefix: 'a/b.c/d_e-f', location: 'local_us.2-b' } }))).toEqual([]);
      const prefixMessage = (p: unknown) =>
        `spec.backup.destination.objectStorage.prefix: ${JSON.stringify(p)} is not a key prefix: segments of letters, digits, _, - and . (not first) joined by /, at most 200 characters, e.g. quay-operator-backups`;
      for (const prefix of ['x'.repeat(201), 5, '', 'a b']) expect(refused(withDestination({ objectStorage: { prefix } }))).toEqual([prefixMessage(prefix)]);
      const locationMessage = (l: unknown) => `spec.backup.destination.objectStorage.location: ${JSON.stringify(l)} is not a location name of DISTRIBUTED_STORAGE_CONFIG (such as default or local_us)`;
      for (const location of ['l'.repeat(129), 5, '.hidden', '', 'a/b']) expect(refused(withDestination({ objectStorage: { location } }))).toEqual([locationMessage(location)]);
    });

    test('objectStorage null or a list is not a mapping', () => {
      for (const objectStorage of [null, []]) {
        expect(refused(withDestination({ objectStorage }))).toEqual(['spec.backup.destination.objectStorage: must be a mapping, optionally with prefix and location ({} for the defaults)']);
      }
    });

    test('persistentVolumeClaim: a mapping of known fields', () => {
      expect(refused(withDestination({ persistentVolumeClaim: 'mine' }))).toEqual([
        'spec.backup.destination.persistentVolumeClaim: must be a mapping with claimName, or size and storageClassName',
      ]);
      expect(refused(withDestination({ persistentVolumeClaim: { accessModes: ['ReadWriteMany'] } }))).toEqual([
        'spec.backup.destination.persistentVolumeClaim.accessModes: unknown field; it has claimName, size, storageClassName',
      ]);
      expect(refused(withDestination({ persistentVolumeClaim: {} }))).toEqual([]);
    });

    test('persistentVolumeClaim: names and sizes at their edges', () => {
      const pvc = (persistentVolumeClaim: unknown) => refused(withDestination({ persistentVolumeClaim }));
      expect(pvc({ claimName: 'a'.repeat(253) })).toEqual([]);
      expect(pvc({ claimName: 'backups.team-a' })).toEqual([]);
      for (const claimName of ['a'.repeat(254), 'Mine', 5, '-x', 'x-']) {
        expect(pvc({ claimName })).toEqual([`spec.backup.destination.persistentVolumeClaim.claimName: ${JSON.stringify(claimName)} is not a PersistentVolumeClaim name`]);
      }
      for (const size of [100, '1.5Gi', '500M', '1e3']) expect(pvc({ size })).toEqual([]);
      for (const size of [true, 'lots', '10 Gi', 'Gi']) {
        expect(pvc({ size })).toEqual([`spec.backup.destination.persistentVolumeClaim.size: ${JSON.stringify(size)} is not a Kubernetes quantity such as 100Gi`]);
      }
      expect(pvc({ size: '10Gi', storageClassName: 'fast.ssd' })).toEqual([]);
      for (const storageClassName of ['Fast', 5, 'fast_ssd']) {
        expect(pvc({ storageClassName })).toEqual([`spec.backup.destination.persistentVolumeClaim.storageClassName: ${JSON.stringify(storageClassName)} is not a StorageClass name`]);
      }
      expect(pvc({ claimName: 'mine', storageClassName: 'fast' })).toEqual([
        'spec.backup.destination.persistentVolumeClaim: claimName names your own claim: size and storageClassName apply only to the claim the operator creates',
      ]);
    });
  });
});

describe('dump names and object prefixes', () => {
  const suffix = '-postgres-20260102T030000Z-v3.dump';

  test('a name of 253 characters is one, 254 is not', () => {
    expect(parseDumpName('r'.repeat(253 - suffix.length) + suffix)?.registry).toBe('r'.repeat(253 - suffix.length));
    expect(parseDumpName('r'.repeat(254 - suffix.length) + suffix)).toBeUndefined();
  });

  test('the whole name must match', () => {
    expect(parseDumpName(`example-registry${suffix}`)).toEqual({ registry: 'example-registry', component: 'postgres', timestamp: '20260102T030000Z', version: 'v3' });
    for (const name of [`example-registry${suffix}.bak`, `-registry${suffix}`, `registry-${suffix}`, 'example-registry-postgres-20260102T0300Z-v3.dump']) expect(parseDumpName(name)).toBeUndefined();
  });

  test('components default to postgres, a copy the caller may change', () => {
    const components = ['clairpostgres'] as const;
    expect(backupComponents({ schedule: '@daily' })).toEqual(['postgres']);
    const got = backupComponents({ schedule: '@daily', components });
    expect(got).toEqual(['clairpostgres']);
    expect(got).not.toBe(components);
  });

  test("a bucket's prefix per namespace and registry; none without objectStorage", () => {
    expect(backupObjectPrefix(undefined, 'ns', 'reg')).toBeUndefined();
    expect(backupObjectPrefix({ schedule: '@daily' }, 'ns', 'reg')).toBeUndefined();
    expect(backupObjectPrefix({ schedule: '@daily', destination: { persistentVolumeClaim: {} } }, 'ns', 'reg')).toBeUndefined();
    expect(backupObjectPrefix({ schedule: '@daily', destination: { objectStorage: {} } }, 'ns', 'reg')).toBe('quay-operator-backups/ns/reg/');
    expect(backupObjectPrefix({ schedule: '@daily', destination: { objectStorage: { prefix: 'team/a' } } }, 'ns', 'reg')).toBe('team/a/ns/reg/');
  });
});
