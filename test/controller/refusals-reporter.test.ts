// RefusalReporter (lib/controller/refusals.ts) read directly, with a stub client, a captured log and a
// real metrics registry: what an admin sees of a refused write (the log line, the Warning Event, the
// counter by code) and when it is said again. refusals.test.ts runs it inside the controller against
// the fake API server's RBAC; here each rule of "once per distinct refusal" is checked on its own.
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import { RefusalReporter, WriteTarget } from '../../lib/controller/refusals';
import { Registry } from '../../lib/controller/runtime/metrics';
import type { KubeObject } from '../../lib/synth';
import { capturedLog } from './runtime/helpers';

type Obj = Record<string, any>;
const NOW = new Date('2026-12-01T12:00:00Z');
const reg = (name = 'r', namespace = 'ns') => ({ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name, namespace, uid: `u-${namespace}-${name}` } }) as KubeObject;
const APPLY: WriteTarget = { verb: 'apply', kind: 'Deployment', name: 'r-quay-app' };
const forbidden = (msg = 'deployments.apps "r-quay-app" is forbidden') => new ApiError(403, 'Forbidden', `PATCH /apis/apps/v1/namespaces/ns/deployments/r-quay-app: 403 ${msg}`, msg);

function setup(opts: { eventError?: Error; now?: () => Date } = {}) {
  const events: Obj[] = [];
  const client = {
    create: async (_t: unknown, obj: Obj) => {
      if (opts.eventError) throw opts.eventError;
      events.push(obj);
      return obj;
    },
  } as unknown as KubeClient;
  const { logger, lines } = capturedLog();
  const metrics = new Registry();
  const reporter = opts.now ? new RefusalReporter(client, logger, metrics, opts.now) : new RefusalReporter(client, logger, metrics);
  const counted = () => metrics.render();
  /** What was said: Event messages, in order. */
  const said = () => events.map((e) => e.message);
  return { reporter, events, lines, counted, said };
}

test('a refusal: one warn line with the details, one Warning Event on the registry, counted by code, verb and kind', async () => {
  const s = setup({ now: () => NOW });
  await s.reporter.report(reg(), APPLY, forbidden());
  expect(s.lines).toEqual([
    {
      level: 'warn',
      msg: 'write refused by the API server',
      registry: 'r',
      namespace: 'ns',
      verb: 'apply',
      kind: 'Deployment',
      name: 'r-quay-app',
      code: 403,
      reason: 'Forbidden',
      message: 'deployments.apps "r-quay-app" is forbidden',
    },
  ]);
  expect(s.events).toEqual([
    expect.objectContaining({
      involvedObject: { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', name: 'r', namespace: 'ns', uid: 'u-ns-r' },
      type: 'Warning',
      reason: 'WriteRefused',
      message: 'apply Deployment r-quay-app: 403 Forbidden: deployments.apps "r-quay-app" is forbidden',
      firstTimestamp: '2026-12-01T12:00:00.000Z',
    }),
  ]);
  expect(s.counted()).toBe(
    '# HELP quay_operator_api_write_refusals_total Writes the API server refused, by HTTP status code (0: no answer), verb and kind.\n' +
      '# TYPE quay_operator_api_write_refusals_total counter\n' +
      'quay_operator_api_write_refusals_total{code="403",verb="apply",kind="Deployment"} 1\n',
  );
});

test('the same refusal again is counted but not said again; a different message is', async () => {
  const s = setup();
  await s.reporter.report(reg(), APPLY, forbidden());
  await s.reporter.report(reg(), APPLY, forbidden());
  expect(s.said()).toEqual(['apply Deployment r-quay-app: 403 Forbidden: deployments.apps "r-quay-app" is forbidden']);
  expect(s.lines.length).toBe(1);
  await s.reporter.report(reg(), APPLY, new ApiError(422, 'Invalid', 'x', 'spec.replicas: Invalid value'));
  await s.reporter.report(reg(), APPLY, forbidden());
  expect(s.said()).toEqual([
    'apply Deployment r-quay-app: 403 Forbidden: deployments.apps "r-quay-app" is forbidden',
    'apply Deployment r-quay-app: 422 Invalid: spec.replicas: Invalid value',
    'apply Deployment r-quay-app: 403 Forbidden: deployments.apps "r-quay-app" is forbidden',
  ]);
  expect(s.counted()).toContain('quay_operator_api_write_refusals_total{code="403",verb="apply",kind="Deployment"} 3\n');
  expect(s.counted()).toContain('quay_operator_api_write_refusals_total{code="422",verb="apply",kind="Deployment"} 1\n');
});

test('"once" is per registry (namespace and name), verb, kind and object name', async () => {
  const s = setup();
  const msg = forbidden('no');
  await s.reporter.report(reg(), APPLY, msg);
  await s.reporter.report(reg('r', 'other'), APPLY, msg);
  await s.reporter.report(reg('r2'), APPLY, msg);
  await s.reporter.report(reg(), { ...APPLY, verb: 'delete' }, msg);
  await s.reporter.report(reg(), { ...APPLY, kind: 'Service' }, msg);
  await s.reporter.report(reg(), { ...APPLY, name: 'r-quay-other' }, msg);
  expect(s.said()).toEqual([
    'apply Deployment r-quay-app: 403 Forbidden: no',
    'apply Deployment r-quay-app: 403 Forbidden: no',
    'apply Deployment r-quay-app: 403 Forbidden: no',
    'delete Deployment r-quay-app: 403 Forbidden: no',
    'apply Service r-quay-app: 403 Forbidden: no',
    'apply Deployment r-quay-other: 403 Forbidden: no',
  ]);
  expect(s.events.map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}`)).toEqual(['ns/r', 'other/r', 'ns/r2', 'ns/r', 'ns/r', 'ns/r']);
});

test('no answer: code 0, reason NoAnswer, the error\'s message (or the thrown value itself)', async () => {
  const s = setup();
  await s.reporter.report(reg(), APPLY, new Error('connect ECONNREFUSED 10.0.0.1:443'));
  await s.reporter.report(reg(), { ...APPLY, name: 'a' }, 'socket hang up');
  await s.reporter.report(reg(), { ...APPLY, name: 'b' }, null);
  await s.reporter.report(reg(), { ...APPLY, name: 'c' }, undefined);
  expect(s.said()).toEqual([
    'apply Deployment r-quay-app: 0 NoAnswer: connect ECONNREFUSED 10.0.0.1:443',
    'apply Deployment a: 0 NoAnswer: socket hang up',
    'apply Deployment b: 0 NoAnswer: null',
    'apply Deployment c: 0 NoAnswer: undefined',
  ]);
  expect(s.lines[0]).toEqual(expect.objectContaining({ code: 0, reason: 'NoAnswer', message: 'connect ECONNREFUSED 10.0.0.1:443' }));
  expect(s.counted()).toContain('quay_operator_api_write_refusals_total{code="0",verb="apply",kind="Deployment"} 4\n');
});

test('accepted: a later refusal of that object is news again, of another object not', async () => {
  const s = setup();
  const other = { ...APPLY, name: 'r-quay-other' };
  await s.reporter.report(reg(), APPLY, forbidden('no'));
  await s.reporter.report(reg(), other, forbidden('no'));
  s.reporter.accepted(reg(), APPLY);
  await s.reporter.report(reg(), APPLY, forbidden('no'));
  await s.reporter.report(reg(), other, forbidden('no'));
  expect(s.said()).toEqual(['apply Deployment r-quay-app: 403 Forbidden: no', 'apply Deployment r-quay-other: 403 Forbidden: no', 'apply Deployment r-quay-app: 403 Forbidden: no']);
});

test('forgetRegistry forgets that registry\'s refusals only (not r2\'s, not another namespace\'s r)', async () => {
  const s = setup();
  const registries = [reg('r'), reg('r2'), reg('r', 'other')];
  for (const r of registries) await s.reporter.report(r, APPLY, forbidden('no'));
  await s.reporter.report(reg('r'), { ...APPLY, name: 'x' }, forbidden('no'));
  s.reporter.forgetRegistry('ns', 'r');
  for (const r of registries) await s.reporter.report(r, APPLY, forbidden('no'));
  await s.reporter.report(reg('r'), { ...APPLY, name: 'x' }, forbidden('no'));
  expect(s.events.map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name} ${e.message.split(':')[0]}`)).toEqual([
    'ns/r apply Deployment r-quay-app',
    'ns/r2 apply Deployment r-quay-app',
    'other/r apply Deployment r-quay-app',
    'ns/r apply Deployment x',
    'ns/r apply Deployment r-quay-app',
    'ns/r apply Deployment x',
  ]);
});

test('an Event that cannot be recorded is logged, and the refusal is still reported once', async () => {
  const s = setup({ eventError: new Error('events is forbidden') });
  await s.reporter.report(reg(), APPLY, forbidden('no'));
  await s.reporter.report(reg(), APPLY, forbidden('no'));
  expect(s.lines.map((l) => l.msg)).toEqual(['write refused by the API server', 'could not record the refusal as an Event']);
  expect(s.lines[1]).toEqual({ level: 'warn', msg: 'could not record the refusal as an Event', registry: 'r', err: 'events is forbidden' });
});

test('without a clock the Event is stamped with the current time', async () => {
  const s = setup();
  const before = Date.now();
  await s.reporter.report(reg(), APPLY, forbidden('no'));
  const stamped = Date.parse(s.events[0].firstTimestamp);
  expect(stamped >= before && stamped <= Date.now()).toBe(true);
});
