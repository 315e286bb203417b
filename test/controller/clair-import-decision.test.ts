// The updaters import decided from what was observed (decideClairImport is pure), and what a reconcile
// does with it (prepareClairImport: the Job in the plan, the status and condition, the requeue).
// clair-import.test.ts runs the same flow against the fake API server.
import { clairImportJobName } from '../../constructs/clair-import';
import type { ClairImportStatus } from '../../lib/api/clair-disconnected';
import { CLAIR_IMPORT_CONDITION, decideClairImport, importRequested, prepareClairImport } from '../../lib/controller/clair-import';
import type { KubeClient } from '../../lib/controller/kube-client';
import type { Plan } from '../../lib/controller/plan';
import type { KubeObject } from '../../lib/synth';
import { deploymentNamed, n, observe } from '../support/observed';
import { bundled } from '../support/plan';

type Obj = Record<string, any>;
const model = bundled();
const NOW = '2026-12-01T10:00:00.000Z';
const SOURCE = 'pvc://clair-updaters/updates.gz';
const ANNOTATION = 'quay-operator/clair-import-updaters';
const ID = 'quay-operator/clair-import-updaters-id';

const registry = (annotations: Record<string, string> = {}) =>
  ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'example-registry', namespace: 'quay-enterprise', uid: 'u-1', annotations } }) as KubeObject;
const asking = (id?: string) => registry({ [ANNOTATION]: ` ${SOURCE} `, ...(id ? { [ID]: id } : {}) });
const job = (id: string | undefined, status: Obj) =>
  ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: jobName(id), namespace: 'quay-enterprise' }, status }) as KubeObject;
const jobName = (id?: string) => clairImportJobName(model, { source: SOURCE, ...(id ? { id } : {}) });
const clairUp = () => deploymentNamed(n('clair-app'), { replicas: 1 });
const WAITING = `waiting for Clair (Deployment ${n('clair-app')}) to be available: it creates its database schema when it starts, and the import writes into it`;
const importing = (id?: string): ClairImportStatus => ({ source: SOURCE, phase: 'Importing', startTime: NOW, job: jobName(id), message: `importing ${SOURCE} into Clair's database (Job ${jobName(id)})`, ...(id ? { id } : {}) });

describe('importRequested', () => {
  test('the annotation trimmed, with its id when set', () => {
    expect(importRequested(asking())).toEqual({ source: SOURCE });
    expect(importRequested(asking('2'))).toEqual({ source: SOURCE, id: '2' });
    expect(importRequested(registry({ [ANNOTATION]: '   ' }))).toBeUndefined();
    expect(importRequested(registry())).toBeUndefined();
  });
});

describe('decideClairImport', () => {
  const decide = (reg: KubeObject, observed: KubeObject[] = [], previous?: ClairImportStatus, report?: { message: string }) =>
    decideClairImport({ model, registry: reg, observed: observe(observed), now: NOW, ...(previous ? { previous } : {}), ...(report ? { report: report as never } : {}) });

  test('nothing asked, nothing before: nothing to do', () => {
    expect(decide(registry())).toEqual({ jobs: [], keep: [] });
  });

  test('a new request waits for Clair, keeps its Job name, and says so once', () => {
    const d = decide(asking());
    expect(d).toEqual({
      status: { source: SOURCE, phase: 'Waiting', startTime: NOW, message: WAITING },
      jobs: [],
      keep: [jobName()],
      event: { type: 'Normal', reason: 'ClairUpdatersImportStarted', message: WAITING },
    });
    expect(decide(asking(), [], d.status)).toEqual({ status: d.status, jobs: [], keep: [jobName()] });
  });

  test('Clair available: the Job, and no second "started" Event for a request already waiting', () => {
    const waiting = decide(asking()).status!;
    const d = decide(asking(), [clairUp()], waiting);
    expect(d.status).toEqual(importing());
    expect(d.jobs.map((j) => `${j.kind}/${j.metadata.name}`)).toEqual([`Job/${jobName()}`]);
    expect(d.keep).toEqual([jobName()]);
    expect(d.event).toBeUndefined();
    // Asked while Clair is already up: straight to Importing, with its Event.
    expect(decide(asking(), [clairUp()]).event).toEqual({ type: 'Normal', reason: 'ClairUpdatersImportStarted', message: importing().message });
  });

  test('importing: a running Job changes nothing; a Job deleted by hand is created again', () => {
    expect(decide(asking(), [clairUp(), job(undefined, { active: 1 })], importing())).toEqual({ status: importing(), jobs: [], keep: [jobName()] });
    const again = decide(asking(), [clairUp()], importing());
    expect(again.jobs.map((j) => j.metadata.name)).toEqual([jobName()]);
    expect(again.status).toEqual(importing());
    expect(again.event).toBeUndefined();
  });

  test('succeeded', () => {
    const d = decide(asking(), [job(undefined, { succeeded: 1 })], importing());
    const message = `imported ${SOURCE} into Clair's database (Job ${jobName()})`;
    expect(d.status).toEqual({ ...importing(), phase: 'Succeeded', message, completionTime: NOW });
    expect(d.event).toEqual({ type: 'Normal', reason: 'ClairUpdatersImported', message });
  });

  test('failed: the log\'s last 400 characters, else the Job\'s condition, else a plain reason', () => {
    const failed = (conditions: Obj[], report?: string) => decide(asking(), [job(undefined, { failed: 1, conditions })], importing(), report === undefined ? undefined : { message: report });
    const tail = (why: string) => `importing ${SOURCE} failed: ${why}; see \`kubectl logs -n quay-enterprise job/${jobName()}\`; set a new ${ID} to try again`;
    const log = `${'x'.repeat(500)}\n  clairctl: connection refused  \n`;
    const withLog = failed([{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }], log);
    expect(withLog.status?.message).toBe(tail(log.slice(-400).trim()));
    expect(withLog.event).toEqual({ type: 'Warning', reason: 'ClairUpdatersImportFailed', message: tail(log.slice(-400).trim()) });
    expect(failed([{ type: 'Failed', status: 'True', message: 'Job has reached the specified backoff limit' }], '  ').status?.message).toBe(tail('Job has reached the specified backoff limit'));
    expect(failed([{ type: 'Failed', status: 'True' }]).status?.message).toBe(tail('the Job failed'));
  });

  test('a finished request stays finished: no Job again, no Event; a new id is a new request', () => {
    const succeeded: ClairImportStatus = { ...importing(), phase: 'Succeeded', message: 'done', completionTime: NOW };
    expect(decide(asking(), [], succeeded)).toEqual({ status: succeeded, jobs: [], keep: [jobName()] });
    const next = decide(asking('2'), [], succeeded);
    expect(next.status).toEqual({ source: SOURCE, id: '2', phase: 'Waiting', startTime: NOW, message: WAITING });
    expect(next.keep).toEqual([jobName('2')]);
    expect(next.event?.reason).toBe('ClairUpdatersImportStarted');
    // The annotation removed: the last outcome stays in status.
    expect(decide(registry(), [], succeeded)).toEqual({ status: succeeded, jobs: [], keep: [jobName()] });
  });

  test('a new request replacing one still waiting (another id, or another source) is announced again', () => {
    const waiting = decide(asking('1')).status!;
    expect(decide(asking('2'), [], waiting).event).toEqual({ type: 'Normal', reason: 'ClairUpdatersImportStarted', message: WAITING });
    const other = registry({ [ANNOTATION]: 'https://example.com/updates.gz', [ID]: '1' });
    expect(decide(other, [], waiting).event).toEqual({ type: 'Normal', reason: 'ClairUpdatersImportStarted', message: WAITING });
  });

  test('refused: a value that is no source, or Clair not managed by the operator', () => {
    const bad = decide(registry({ [ANNOTATION]: 'ftp://example.com/x' }));
    expect(bad.status).toMatchObject({ phase: 'Refused', completionTime: NOW });
    expect(bad.event).toMatchObject({ type: 'Warning', reason: 'ClairUpdatersImportRefused' });
    const unmanaged = bundled({ spec: { components: [{ kind: 'clair', managed: false }] } });
    const d = decideClairImport({ model: unmanaged, registry: asking(), observed: observe([clairUp()]), now: NOW });
    expect(d.status).toEqual({ source: SOURCE, phase: 'Refused', startTime: NOW, completionTime: NOW, message: 'the clair component is unmanaged: import into your own Clair with clairctl' });
    expect(d.jobs).toEqual([]);
  });
});

describe('prepareClairImport', () => {
  const noClient = {} as KubeClient;
  const emptyPlan = (remove: KubeObject[] = []) => ({ apply: [], remove }) as unknown as Plan;

  test('adds the Job owned by the registry, never prunes the request\'s Job, and looks again in 30 s while not finished', async () => {
    const waiting = decideClairImport({ model, registry: asking(), observed: observe([]), now: NOW }).status!;
    const c = await prepareClairImport(noClient, asking(), model, observe([clairUp()]), { clairUpdatersImport: waiting } as never, new Date(NOW));
    const other = job('old', { succeeded: 1 });
    const p = c.adjust(emptyPlan([job(undefined, {}), other]));
    expect(p.apply.map((o) => [o.metadata.name, (o.metadata.ownerReferences as Obj[])[0].uid])).toEqual([[jobName(), 'u-1']]);
    expect(p.remove).toEqual([other]);
    expect(c.requeueAfterMs).toBe(30_000);
    expect(c.events).toEqual([]);
  });

  test('the ClairUpdatersImported condition replaces its old self and leaves the others; finished: no requeue', async () => {
    const done: ClairImportStatus = { ...importing(), phase: 'Succeeded', message: 'done', completionTime: NOW };
    const c = await prepareClairImport(noClient, asking(), model, observe([]), { clairUpdatersImport: done } as never, new Date(NOW));
    expect(c.requeueAfterMs).toBeUndefined();
    const status = c.status(
      {
        conditions: [
          { type: 'Available', status: 'True', reason: 'HealthChecksPassing', message: 'ok', lastTransitionTime: NOW },
          { type: CLAIR_IMPORT_CONDITION, status: 'False', reason: 'ImportInProgress', message: 'old', lastTransitionTime: NOW },
        ],
      } as never,
      NOW,
    );
    expect(status.clairUpdatersImport).toEqual(done);
    expect((status.conditions as Obj[]).map((x) => [x.type, x.status, x.reason, x.message])).toEqual([
      ['Available', 'True', 'HealthChecksPassing', 'ok'],
      [CLAIR_IMPORT_CONDITION, 'True', 'ImportSucceeded', 'done'],
    ]);
    // Nothing asked and nothing before: the status untouched.
    const none = await prepareClairImport(noClient, registry(), model, observe([]), undefined, new Date(NOW));
    expect(none.status({ conditions: [] } as never, NOW)).toEqual({ conditions: [] });
  });

  test('a failed Job: its pod\'s termination message is read; a running one is not', async () => {
    const lists: string[] = [];
    const client = {
      list: async (_t: unknown, sel: { labelSelector: string }) => {
        lists.push(sel.labelSelector);
        return { items: [{ kind: 'Pod', metadata: { name: 'p' }, status: { containerStatuses: [{ state: { terminated: { finishedAt: NOW, message: 'no space left on device' } } }] } }] };
      },
    } as unknown as KubeClient;
    await prepareClairImport(client, asking(), model, observe([job(undefined, { active: 1 })]), { clairUpdatersImport: importing() } as never, new Date(NOW));
    expect(lists).toEqual([]);
    const c = await prepareClairImport(client, asking(), model, observe([job(undefined, { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] })]), { clairUpdatersImport: importing() } as never, new Date(NOW));
    expect(lists).toEqual([`job-name=${jobName()}`]);
    expect(c.events[0].message).toContain('failed: no space left on device;');
  });
});
