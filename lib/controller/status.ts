// The registry's status, computed from what was observed (never from what the operator believes it
// did). Condition types, reasons and messages follow the seeds and upstream.
import { configEditorCredentialsSecretName, configEditorRendered } from '../../constructs/config-editor';
import { SHARED_NAMES } from '../../constructs/shared/component';
import { migrationGateJobName } from '../../constructs/quay';
import { COMPONENT_KINDS, ComponentKind, Condition, QuayRegistryStatus } from '../api/types';
import type { RegistryModel } from '../model';
import type { Problem } from '../problems';
import { upgradeCondition } from './postgres-upgrade';
import { sortKeys } from '../config/quay-config';
import { ObservedState, conditionOf, findObject, ownedBy } from './observed';
import type { Plan } from './plan';

type Obj = Record<string, any>;

export const CONDITION_TYPE: Record<ComponentKind, string> = {
  quay: 'ComponentQuayReady',
  postgres: 'ComponentPostgresReady',
  clair: 'ComponentClairReady',
  clairpostgres: 'ComponentClairPostgresReady',
  redis: 'ComponentRedisReady',
  horizontalpodautoscaler: 'ComponentHPAReady',
  objectstorage: 'ComponentObjectStorageReady',
  route: 'ComponentRouteReady',
  mirror: 'ComponentMirrorReady',
  monitoring: 'ComponentMonitoringReady',
  tls: 'ComponentTLSReady',
};

const NOT_MANAGED: Record<ComponentKind, string> = {
  quay: 'Quay not managed by the operator',
  postgres: 'Postgres not managed by the operator',
  clair: 'Clair not managed by the operator',
  clairpostgres: 'ClairPostgres not managed by the operator',
  redis: 'Redis not managed by the operator',
  horizontalpodautoscaler: 'Horizontal pod autoscaler not managed by the operator',
  objectstorage: 'Object storage not managed by the operator',
  route: 'Route is not managed by the operator',
  mirror: 'Mirror not managed by the operator',
  monitoring: 'Monitoring not managed by the operator',
  tls: 'TLS not managed by the operator',
};

/** A geo-replication site that does not migrate (spec.migrations.run: false), waiting for the one that does. */
export const AWAITING_MIGRATION = 'AwaitingMigration';

function awaitingMessage(model: RegistryModel): string {
  return `spec.migrations.run is false: waiting for another site to migrate the shared database to Quay ${model.environment.quayVersion}; Job ${migrationGateJobName(model)} compares its alembic revision with this Quay's`;
}

type Check = { ok: boolean; reason?: string; message: string };
const ready = (message: string): Check => ({ ok: true, reason: 'ComponentReady', message });
const notReady = (message: string, reason = 'ComponentNotReady'): Check => ({ ok: false, reason, message });

/**
 * Whether a component's Deployment serves: at least one pod available. Its own Available condition
 * is False whenever fewer pods than `replicas − maxUnavailable` are available, which a scale-up (an
 * HPA's), a rolling update with maxUnavailable 0 or a pod replaced on a drained node all cause for a
 * while; the component still serves then, and the registry's Available must not flap (upstream's
 * rule did). `scaledDown` is set only when the user's override pins the component at 0: a
 * Deployment at 0 for any other reason (held for migrations, scaled by hand) is not serving.
 */
function deploymentCheck(d: Obj | undefined, name: string, label: string, uid: string | undefined, scaledDown?: { message: string }): Check {
  if (!d) return notReady(`${label} ${name} not found`);
  if (!ownedBy(d as any, uid)) return notReady(`${label} ${name} not owned by QuayRegistry`);
  if (scaledDown) return (d.status?.availableReplicas ?? 0) === 0 ? ready(scaledDown.message) : notReady(`${label} ${name} is being scaled down`);
  if (!serving(d)) return notReady(`Deployment ${name} has zero replicas available`);
  return ready(`Deployment ${name} healthy`);
}

function serving(d: Obj): boolean {
  return (d.status?.availableReplicas ?? 0) > 0;
}

/**
 * A Deployment for the seeds' unhealthyComponents: not serving (its failing Available condition), or
 * a rollout that stopped progressing (ProgressDeadlineExceeded) while older pods still serve.
 */
function failingCondition(d: Obj): Condition | undefined {
  const available = conditionOf(d as any, 'Available');
  if (!serving(d) && available && available.status !== 'True') return available as Condition;
  const progressing = conditionOf(d as any, 'Progressing');
  return progressing?.status === 'False' ? (progressing as Condition) : undefined;
}

function databaseCheck(model: RegistryModel, observed: ObservedState, label: string, deployment: string, pvc: string, uid: string | undefined): Check {
  const claim = findObject(observed, 'PersistentVolumeClaim', pvc) as Obj | undefined;
  if (claim && claim.status?.phase === 'Pending') return notReady(`${label} PersistentVolumeClaim ${pvc} is pending`, 'PVCPending');
  return deploymentCheck(findObject(observed, 'Deployment', deployment) as Obj | undefined, deployment, `${label} deployment`, uid);
}

function checkComponent(kind: ComponentKind, model: RegistryModel, observed: ObservedState, plan: Plan, uid: string | undefined): Check {
  const n = (s: string) => `${model.name}-${s}`;
  const dep = (s: string) => findObject(observed, 'Deployment', n(s)) as Obj | undefined;
  const pinnedAtZero = (message: string) => (model.components[kind].overrides.replicas === 0 ? { message } : undefined);
  switch (kind) {
    case 'quay': {
      if (plan.migration.phase === 'failed') return notReady(`migrations failed: ${plan.migration.message}`);
      if (plan.migration.phase !== 'done' && plan.migration.phase !== 'succeeded') return plan.migration.elsewhere ? notReady(awaitingMessage(model), AWAITING_MIGRATION) : notReady('running database migrations', 'MigrationsInProgress');
      const check = deploymentCheck(dep(SHARED_NAMES.quayApp), n(SHARED_NAMES.quayApp), 'Deployment', uid, pinnedAtZero('Quay component scaled down'));
      return check.ok ? ready(check.message.endsWith('scaled down') ? check.message : 'Quay component healthy') : check;
    }
    case 'postgres':
      return databaseCheck(model, observed, 'Postgres', n(SHARED_NAMES.quayDatabase), n('quay-postgres-13'), uid);
    case 'clairpostgres':
      return databaseCheck(model, observed, 'ClairPostgres', n(SHARED_NAMES.clairPostgres), n('clair-postgres-15'), uid);
    case 'redis':
      return deploymentCheck(dep(SHARED_NAMES.redis), n(SHARED_NAMES.redis), 'Redis deployment', uid);
    case 'clair': {
      const check = deploymentCheck(dep(SHARED_NAMES.clairApp), n(SHARED_NAMES.clairApp), 'Deployment', uid, pinnedAtZero('Clair manually scaled down'));
      return check.ok && !check.message.includes('scaled down') ? ready('Clair component healthy') : check;
    }
    case 'mirror':
      return deploymentCheck(dep(SHARED_NAMES.mirror), n(SHARED_NAMES.mirror), 'Mirror deployment', uid, pinnedAtZero('Mirror manually scaled down'));
    case 'horizontalpodautoscaler': {
      const expected = ['quay', 'clair', 'mirror'].filter((k) => model.components[k as ComponentKind].managed && model.components[k as ComponentKind].overrides.replicas !== 0);
      const names = expected.map((k) => n(k === 'quay' ? SHARED_NAMES.quayApp : k === 'clair' ? SHARED_NAMES.clairApp : SHARED_NAMES.mirror));
      const missing = names.filter((name) => !findObject(observed, 'HorizontalPodAutoscaler', name));
      return missing.length ? notReady(`Horizontal pod autoscaler not found: ${missing.join(', ')}`) : ready('Horizontal pod autoscaler found');
    }
    case 'objectstorage': {
      const claim = findObject(observed, 'ObjectBucketClaim', n(SHARED_NAMES.datastore)) as Obj | undefined;
      if (!claim) return notReady('Unable to locate object bucket claim');
      return claim.status?.phase === 'Bound' ? ready('Object bucket claim bound') : notReady('Object bucket claim not bound');
    }
    case 'route': {
      if (model.exposure?.type === 'Ingress') return ingressCheck(findObject(observed, 'Ingress', n('quay')) as Obj | undefined);
      if (model.exposure?.type === 'Gateway') {
        const kind = model.certificate ? 'TLSRoute' : 'HTTPRoute';
        return gatewayRouteCheck(kind, findObject(observed, kind, n('quay')) as Obj | undefined);
      }
      const route = findObject(observed, 'Route', n('quay')) as Obj | undefined;
      if (!route) return notReady('Route not found');
      const ingress = (route.status?.ingress ?? []) as Obj[];
      if (ingress.length === 0) return notReady('Route found but no ingress');
      const admitted = ingress.every((i) => ((i.conditions ?? []) as Obj[]).some((c) => c.type === 'Admitted' && c.status === 'True'));
      return admitted ? ready('Route admitted') : notReady('Route not fully admitted');
    }
    case 'monitoring': {
      const rule = n('quay-prometheus-rules');
      const monitor = n('quay-metrics-monitor');
      if (!findObject(observed, 'PrometheusRule', rule)) return notReady(`PrometheusRule ${rule} not found`);
      if (!findObject(observed, 'ServiceMonitor', monitor)) return notReady(`ServiceMonitor ${monitor} not found`);
      return ready('ServiceMonitor and PrometheusRules created');
    }
    case 'tls':
      return ready('Using cluster wildcard certs');
  }
}

/**
 * Ready once it exists: an ingress controller that publishes addresses is named in the message, but
 * some never write status, and Available must not wait for what may never come.
 */
function ingressCheck(ingress: Obj | undefined): Check {
  if (!ingress) return notReady('Ingress not found');
  const addresses = ((ingress.status?.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.hostname ?? i.ip).filter(Boolean);
  return ready(addresses.length ? `Ingress serving at ${addresses.join(', ')}` : 'Ingress created');
}

/** Ready when every Gateway it names accepted it and resolved its backend (the Gateway API's own conditions). */
function gatewayRouteCheck(kind: string, route: Obj | undefined): Check {
  if (!route) return notReady(`${kind} not found`);
  const parents = (route.status?.parents ?? []) as Obj[];
  if (parents.length === 0) return notReady(`${kind} not yet accepted by its Gateway`);
  for (const parent of parents) {
    const gateway = `${parent.parentRef?.namespace ?? route.metadata?.namespace}/${parent.parentRef?.name}`;
    for (const type of ['Accepted', 'ResolvedRefs']) {
      const c = ((parent.conditions ?? []) as Obj[]).find((x) => x.type === type);
      if (c?.status !== 'True') return notReady(`${kind} not ${type === 'Accepted' ? 'accepted' : 'resolved'} by Gateway ${gateway}${c?.message ? `: ${c.message}` : ''}`);
    }
  }
  return ready(`${kind} accepted by Gateway ${parents.map((p) => p.parentRef?.name).join(', ')}`);
}

function tlsCheck(model: RegistryModel): Check {
  if (model.components.tls.managed) return ready('Using cluster wildcard certs');
  return model.bundle.files.has('ssl.cert') ? ready('Config bundle contains certs') : ready('TLS terminated outside Quay (EXTERNAL_TLS_TERMINATION)');
}

/** The component a Deployment belongs to, as the seeds key unhealthyComponents (Clair's database under clair). */
function componentOfDeployment(model: RegistryModel, name: string): string {
  const byName: Record<string, string> = {
    [SHARED_NAMES.quayApp]: 'quay',
    [SHARED_NAMES.configEditor]: 'quay',
    [SHARED_NAMES.mirror]: 'mirror',
    [SHARED_NAMES.clairApp]: 'clair',
    [SHARED_NAMES.clairPostgres]: 'clair',
    [SHARED_NAMES.quayDatabase]: 'postgres',
    [SHARED_NAMES.redis]: 'redis',
  };
  return byName[name.slice(model.name.length + 1)] ?? 'quay';
}

export interface StatusInputs {
  readonly previous: QuayRegistryStatus | undefined;
  readonly generation: number | undefined;
  readonly now: string;
  readonly uid: string | undefined;
  /** Input problems: the rollout is blocked. */
  readonly problems?: readonly Problem[];
  /** An API error while applying. */
  readonly applyError?: string;
  readonly model?: RegistryModel;
  readonly plan?: Plan;
  readonly observed?: ObservedState;
}

/** Keeps lastTransitionTime unless the status changed; lastUpdateTime unless anything changed. */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>[], now: string): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message;
    return {
      ...c,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now,
      lastUpdateTime: same && old.lastUpdateTime ? old.lastUpdateTime : now,
    };
  });
}

/** The documented messages stand alone (they name what they are about); others name the field or file. */
function problemText(p: Problem): string {
  const documented = ['', 'configBundleSecret'].includes(p.path) || (p.path === 'spec.components' && p.message.startsWith('component `'));
  return documented ? p.message : `${p.path}: ${p.message}`;
}

/** metav1.Condition's limit on a message; thousands of problems (a generated spec) are cut, and counted. */
const MAX_MESSAGE = 32 * 1024;

function problemsText(problems: readonly Problem[]): string {
  let text = '';
  for (const [i, p] of problems.entries()) {
    const next = `${i > 0 ? '; ' : ''}${problemText(p)}`;
    if (text.length + next.length > MAX_MESSAGE - 100) return `${text}; and ${problems.length - i} more problem${problems.length - i === 1 ? '' : 's'}`;
    text += next;
  }
  return text;
}

type NewCondition = Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>;
const cond = (type: string, status: boolean, reason: string, message: string): NewCondition => ({ type, status: status ? 'True' : 'False', reason, message });

export function computeStatus(inputs: StatusInputs): QuayRegistryStatus {
  const { previous, now, model, plan, observed, uid } = inputs;
  const conditions: NewCondition[] = [];

  if (inputs.problems && inputs.problems.length > 0) {
    const reason = inputs.problems[0].reason;
    conditions.push(cond('RolloutBlocked', true, reason, problemsText(inputs.problems)));
    // What was true before the input went bad stays as it was: nothing was changed or deleted.
    const keep = (previous?.conditions ?? []).filter((c) => c.type !== 'RolloutBlocked');
    return {
      ...previous,
      conditions: [...mergeConditions(previous?.conditions, conditions, now), ...keep],
      observedGeneration: inputs.generation,
      lastUpdated: now,
    };
  }
  if (!model || !plan || !observed) throw new Error('computeStatus needs a model, a plan and observations when the input is valid');

  conditions.push(
    inputs.applyError
      ? cond('RolloutBlocked', true, 'ComponentCreationFailed', inputs.applyError)
      : cond('RolloutBlocked', false, 'ComponentsCreationSuccess', 'All objects created/updated successfully'),
  );

  const m = plan.migration;
  const dbUpgrade = plan.databaseUpgrades.find((u) => u.phase !== 'done');
  if (dbUpgrade) {
    const c = upgradeCondition(model, dbUpgrade);
    conditions.push(cond('ComponentsCreated', false, c.reason, c.message));
  } else if (plan.waitingFor.length > 0) conditions.push(cond('ComponentsCreated', false, 'AwaitingDependencies', `waiting for ${plan.waitingFor.join(', ')} to become available`));
  else if (m.phase === 'failed') conditions.push(cond('ComponentsCreated', false, 'MigrationsFailed', m.message ?? 'failed to run migrations'));
  else if (m.phase !== 'done' && m.phase !== 'succeeded') conditions.push(m.elsewhere ? cond('ComponentsCreated', false, AWAITING_MIGRATION, awaitingMessage(model)) : cond('ComponentsCreated', false, 'MigrationsInProgress', 'running database migrations'));
  else conditions.push(cond('ComponentsCreated', true, 'ComponentsCreationSuccess', 'All registry components created'));

  const checks = new Map<ComponentKind, Check>();
  for (const kind of COMPONENT_KINDS) {
    const c = model.components[kind];
    const check = !c.managed && kind !== 'tls' ? { ok: true, reason: 'ComponentNotManaged', message: NOT_MANAGED[kind] } : kind === 'tls' ? tlsCheck(model) : checkComponent(kind, model, observed, plan, uid);
    checks.set(kind, check);
  }
  // Quay waits for its prerequisites, mirror for Quay (upstream's order and messages).
  const prerequisites: ComponentKind[] = ['postgres', 'objectstorage', 'clair', 'clairpostgres', 'tls', 'redis'];
  const failed = prerequisites.filter((k) => !checks.get(k)!.ok);
  if (failed.length > 0 && checks.get('quay')!.reason !== 'MigrationsInProgress' && checks.get('quay')!.reason !== AWAITING_MIGRATION) {
    checks.set('quay', notReady(`Awaiting for component ${failed.join(',')} to become available`));
  }
  if (model.components.mirror.managed && !checks.get('quay')!.ok) checks.set('mirror', notReady('Awaiting for component quay to become available'));
  for (const kind of COMPONENT_KINDS) {
    const c = checks.get(kind)!;
    conditions.push(cond(CONDITION_TYPE[kind], c.ok, c.reason ?? (c.ok ? 'ComponentReady' : 'ComponentNotReady'), c.message));
  }

  const allReady = [...checks.values()].every((c) => c.ok);
  if (m.phase !== 'done' && m.phase !== 'succeeded' && m.phase !== 'failed') {
    conditions.push(m.elsewhere ? cond('Available', false, AWAITING_MIGRATION, awaitingMessage(model)) : cond('Available', false, 'MigrationsInProgress', 'running database migrations'));
  } else conditions.push(allReady ? cond('Available', true, 'HealthChecksPassing', 'All components reporting as healthy') : cond('Available', false, 'ComponentNotReady', 'Some components are not ready'));

  // The seeds' unhealthyComponents: failing Deployment conditions, by component.
  const unhealthy: Record<string, Condition[]> = {};
  for (const d of observed.owned.filter((o) => o.kind === 'Deployment') as Obj[]) {
    const failing = failingCondition(d);
    if (failing) {
      const component = componentOfDeployment(model, d.metadata.name);
      (unhealthy[component] ??= []).push({ ...failing, message: `Deployment ${d.metadata.name}: ${failing.message ?? ''}`.trim() });
    }
  }

  const editorHost = configEditorHost(observed, `${model.name}-quay-config-editor`);
  const rest: Partial<QuayRegistryStatus> = {
    registryEndpoint: `https://${model.hostnames.server}`,
    ...(editorHost ? { configEditorEndpoint: `https://${editorHost}` } : {}),
    ...(configEditorRendered(model) ? { configEditorCredentialsSecret: configEditorCredentialsSecretName(model) } : {}),
    // Left out when every component is healthy: the status is server-side applied, and an applied
    // {} where keys were is null to the API server, which the schema refuses (422). Leaving a field
    // out is how apply clears it.
    ...(Object.keys(unhealthy).length > 0 ? { unhealthyComponents: unhealthy } : {}),
    components: COMPONENT_KINDS.map((kind) => ({ kind, managed: model.components[kind].managed })),
    ...(plan.currentVersion ? { currentVersion: plan.currentVersion } : {}),
  };
  return {
    ...rest,
    conditions: mergeConditions(previous?.conditions, conditions, now),
    observedGeneration: inputs.generation,
    lastUpdated: now,
  };
}

/** Whether two statuses differ in anything but their timestamps (no write when they do not). */
export function statusChanged(a: QuayRegistryStatus | undefined, b: QuayRegistryStatus): boolean {
  // Keys sorted: the API server does not keep the order the status was written in.
  const strip = (s: QuayRegistryStatus | undefined) =>
    JSON.stringify(sortKeys({ ...s, lastUpdated: undefined, conditions: s?.conditions?.map((c) => ({ ...c, lastUpdateTime: undefined, lastTransitionTime: undefined })) }));
  return strip(a) !== strip(b);
}

/** The editor's host: the Route's as admitted, or the Ingress's or HTTPRoute's own. */
function configEditorHost(observed: ObservedState, name: string): string | undefined {
  const route = findObject(observed, 'Route', name) as Obj | undefined;
  const ingress = findObject(observed, 'Ingress', name) as Obj | undefined;
  const httpRoute = findObject(observed, 'HTTPRoute', name) as Obj | undefined;
  return route?.status?.ingress?.[0]?.host ?? route?.spec?.host ?? ingress?.spec?.rules?.[0]?.host ?? httpRoute?.spec?.hostnames?.[0];
}
