// spec.backup: checked field by field, each message naming the field (cron syntax included); the
// dump names backups write and restores take; and the restore's judgement of a dump's metadata.
import { EXCLUSIVE_DESTINATIONS, cronProblem, parseDumpName } from '../../lib/api/backup';
import { FakeApiServer } from '../support/fake-apiserver';
import { parseQuayRegistry } from '../../lib/api/validate';
import { keysDigest } from '../../constructs/backup';
import { judgeDump } from '../../lib/controller/restore';
import { validateObject } from '../support/schema';
import { testModel } from '../support/model';

const registry = (spec: Record<string, unknown>) => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise' }, spec });
const problems = (backup: unknown, components?: unknown[]) =>
  parseQuayRegistry(registry({ backup, ...(components ? { components } : {}) })).problems.map((p) => `${p.path}: ${p.message}`);

describe('spec.backup validation', () => {
  test('a full one is kept as written', () => {
    const backup = { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', retention: 14, components: ['postgres', 'clairpostgres'], suspend: false, destination: { persistentVolumeClaim: { size: '100Gi', storageClassName: 'fast' } } };
    expect(parseQuayRegistry(registry({ backup })).registry?.spec.backup).toEqual(backup);
    expect(validateObject(registry({ backup }))).toEqual([]);
  });

  test.each([
    [{}, 'spec.backup.schedule: is required: a cron schedule such as "0 3 * * *" (03:00 every day)'],
    [{ schedule: '0 3 * *' }, 'spec.backup.schedule: not a cron schedule: "0 3 * *" has 4 fields; a schedule has 5: minute hour day-of-month month day-of-week (e.g. "0 3 * * *")'],
    [{ schedule: '61 3 * * *' }, 'spec.backup.schedule: not a cron schedule: minute "61": values are 0-59'],
    [{ schedule: '0 3 * * MON-XYZ' }, 'spec.backup.schedule: not a cron schedule: day of week "MON-XYZ": "MON-XYZ" is not a value or a range a-b'],
    [{ schedule: '*/0 * * * *' }, 'spec.backup.schedule: not a cron schedule: minute "*/0": a step is /n with n of at least 1'],
    [{ schedule: '@every 1h' }, 'spec.backup.schedule: not a cron schedule: "@every 1h" is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
    [{ schedule: 'TZ=UTC 0 3 * * *' }, 'spec.backup.schedule: not a cron schedule: must not set a time zone in the schedule (TZ=...): use spec.backup.timeZone'],
    [{ schedule: '@daily', retention: 0 }, 'spec.backup.retention: must be a whole number from 1 to 1000 (how many dumps of each database to keep)'],
    [{ schedule: '@daily', components: ['redis'] }, 'spec.backup.components[0]: "redis" cannot be backed up; the managed databases are postgres, clairpostgres'],
    [{ schedule: '@daily', components: ['postgres', 'postgres'] }, 'spec.backup.components[1]: `postgres` is listed twice'],
    [{ schedule: '@daily', destination: { s3: {} } }, 'spec.backup.destination.s3: unknown destination; they are persistentVolumeClaim and objectStorage'],
    [{ schedule: '@daily', destination: { persistentVolumeClaim: {}, objectStorage: {} } }, 'spec.backup.destination: persistentVolumeClaim and objectStorage are exclusive: dumps go to one place'],
    [{ schedule: '@daily', destination: { objectStorage: 'bucket' } }, 'spec.backup.destination.objectStorage: must be a mapping, optionally with prefix and location ({} for the defaults)'],
    [
      { schedule: '@daily', destination: { objectStorage: { accessKey: 'AKIA' } } },
      "spec.backup.destination.objectStorage.accessKey: unknown field; it has prefix, location (the credentials are the registry's own, never given here)",
    ],
    [
      { schedule: '@daily', destination: { objectStorage: { prefix: 'backups/../other' } } },
      'spec.backup.destination.objectStorage.prefix: "backups/../other" is not a key prefix: segments of letters, digits, _, - and . (not first) joined by /, at most 200 characters, e.g. quay-operator-backups',
    ],
    [{ schedule: '@daily', destination: { objectStorage: { location: 'my location' } } }, 'spec.backup.destination.objectStorage.location: "my location" is not a location name of DISTRIBUTED_STORAGE_CONFIG (such as default or local_us)'],
    [{ schedule: '@daily', destination: { persistentVolumeClaim: { size: 'lots' } } }, 'spec.backup.destination.persistentVolumeClaim.size: "lots" is not a Kubernetes quantity such as 100Gi'],
    [
      { schedule: '@daily', destination: { persistentVolumeClaim: { claimName: 'mine', size: '1Gi' } } },
      'spec.backup.destination.persistentVolumeClaim: claimName names your own claim: size and storageClassName apply only to the claim the operator creates',
    ],
    [{ schedule: '@daily', every: 'day' }, 'spec.backup.every: unknown field; spec.backup has schedule, timeZone, retention, components, destination, suspend'],
  ])('%j: %s', (backup, message) => {
    expect(problems(backup)).toEqual([message]);
  });

  test('object storage: kept as written, defaults left to the operator; the CRD takes it', () => {
    for (const objectStorage of [{}, { prefix: 'backups/quay_1', location: 'local_us' }]) {
      const backup = { schedule: '@daily', destination: { objectStorage } };
      expect(parseQuayRegistry(registry({ backup })).registry?.spec.backup).toEqual(backup);
      expect(validateObject(registry({ backup }))).toEqual([]);
    }
    for (const prefix of ['/abs', 'a//b', 'trailing/', '.hidden', 'a/..', 'x'.repeat(201)]) expect(problems({ schedule: '@daily', destination: { objectStorage: { prefix } } })).toHaveLength(1);
  });

  test("the CRD's rule refuses both destinations (the API server, before the operator sees it)", async () => {
    const server = await FakeApiServer.start();
    try {
      expect(() => server.create(registry({ backup: { schedule: '@daily', destination: { persistentVolumeClaim: {}, objectStorage: {} } } }))).toThrow(EXCLUSIVE_DESTINATIONS);
      expect(() => server.create(registry({ backup: { schedule: '@daily', destination: { objectStorage: { prefix: 'a//b' } } } }))).toThrow(/prefix/);
      expect(server.create(registry({ backup: { schedule: '@daily', destination: { objectStorage: {} } } })).spec.backup.destination).toEqual({ objectStorage: {} });
    } finally {
      await server.stop();
    }
  });

  test('only managed databases', () => {
    expect(problems({ schedule: '@daily' }, [{ kind: 'postgres', managed: false }])).toEqual([
      'spec.backup.components: defaults to [postgres], which is unmanaged: list the managed databases to back up (clairpostgres), or remove spec.backup',
    ]);
    expect(problems({ schedule: '@daily', components: ['clairpostgres'] }, [{ kind: 'clairpostgres', managed: false }])).toEqual([
      "spec.backup.components[0]: `clairpostgres` is unmanaged: back up your own database with your provider's tools (the operator dumps only databases it runs)",
    ]);
  });

  test.each(['0 3 * * *', '*/15 * * * *', '0 0-23/2 1,15 JAN-jun sun', '0 3 ? * 1-5', '@weekly', '  0 3 * * 7  '])('accepted: %s', (schedule) => {
    expect(cronProblem(schedule)).toBeUndefined();
  });

  test('the CRD refuses what is not the shape (the API server, before the operator sees it)', () => {
    expect(validateObject(registry({ backup: { retention: 0 } })).join('\n')).toMatch(/schedule|retention/);
  });
});

describe('dump names', () => {
  test('registry, database, time and version, from the name', () => {
    expect(parseDumpName('my-registry-2-clairpostgres-20260102T030000Z-v3.17.3.dump')).toEqual({ registry: 'my-registry-2', component: 'clairpostgres', timestamp: '20260102T030000Z', version: 'v3.17.3' });
    for (const bad of ['../etc/passwd', 'example-registry-postgres-20260102T030000Z-v3.17.3.sql', 'example-registry-redis-20260102T030000Z-v3.dump', 'x/example-registry-postgres-20260102T030000Z-v3.dump']) {
      expect(parseDumpName(bad)).toBeUndefined();
    }
  });
});

describe("a restore's judgement of a dump", () => {
  const model = testModel({ spec: { backup: { schedule: '@daily' } } });
  const withUid = { ...model, registry: { ...model.registry, metadata: { ...model.registry.metadata, uid: 'this-uid' } } };
  const dump = `example-registry-postgres-20260102T030000Z-${model.environment.quayVersion}.dump`;
  const meta = (o: Record<string, unknown> = {}) => ({
    found: true as const,
    actualSize: 10,
    metadata: { registry: 'example-registry', namespace: 'quay-enterprise', uid: 'this-uid', component: 'postgres', quayVersion: model.environment.quayVersion, size: 10, keysDigest: keysDigest(model), created: '2026-01-02T03:00:00Z', ...o },
  });

  test('its own: accepted, with its version', () => {
    expect(judgeDump(withUid, dump, 'postgres', meta())).toEqual({ dumpVersion: model.environment.quayVersion, dumpCreated: '2026-01-02T03:00:00Z', dumpSize: 10 });
  });

  test('the same registry created again with its keys restored (another uid, the same keys): accepted', () => {
    expect(judgeDump(withUid, dump, 'postgres', meta({ uid: 'earlier-uid' })).refused).toBeUndefined();
  });

  test('another uid and no keys recorded: refused', () => {
    expect(judgeDump(withUid, dump, 'postgres', meta({ uid: 'earlier-uid', keysDigest: '' })).refused).toBe(
      `dump ${dump} was made by another QuayRegistry named example-registry (uid earlier-uid; this one is this-uid), and records no keys to tell whether Quay could read it`,
    );
  });

  test('truncated: refused', () => {
    expect(judgeDump(withUid, dump, 'postgres', { ...meta(), actualSize: 4 }).refused).toBe(`dump ${dump} is 4 bytes on PersistentVolumeClaim example-registry-quay-backups but was 10 when written: truncated or changed since`);
  });

  test('a version this operator cannot upgrade from: refused with the upgrade rules', () => {
    expect(judgeDump(withUid, dump, 'postgres', meta({ quayVersion: 'v3.10.0' })).refused).toMatch(/^dump .* was taken with Quay v3\.10\.0: cannot upgrade from v3\.10\.0 to v3\.\d+\.\d+: 3\.10 → 3\.\d+ skips minor versions/);
  });

  test('another database than its name says: refused', () => {
    expect(judgeDump(withUid, dump, 'postgres', meta({ component: 'clairpostgres' })).refused).toBe(`dump ${dump} holds the clairpostgres database by its metadata, not postgres as its name says`);
  });
});
