// Upgradeability under OLM. OLM v0 gives an operator an OperatorCondition (operators.coreos.com/v2)
// named by OPERATOR_CONDITION_NAME in its namespace, and RBAC to get/update/patch that one object.
// While a registry's database migration Job, a managed PostgreSQL major upgrade or a restore runs,
// replacing the operator would interrupt it, so spec.conditions says Upgradeable=False (OLM copies spec to
// status and holds upgrades); True once none runs. The controller reports each registry's state
// after every reconcile; this module aggregates over the registries and writes only on a change.
// Not under OLM (no OPERATOR_CONDITION_NAME) it is not created, and nothing reads or writes
// OperatorConditions.
import { readFileSync } from 'node:fs';
import type { Plan } from './plan';
import { ApiError, KubeClient } from './kube-client';
import { typeOf } from './resources';
import type { Logger } from './runtime/logger';

export const UPGRADEABLE = 'Upgradeable';
export const REASON_MIGRATION = 'MigrationInProgress';
export const REASON_DATABASE_UPGRADE = 'DatabaseUpgradeInProgress';
export const REASON_RESTORE = 'RestoreInProgress';
export const REASON_NONE = 'NoUpgradeRunning';
const OPERATOR_CONDITION_API = 'operators.coreos.com/v2';
/** Registries named in a message at most (the rest counted). */
const NAMED = 10;

/** Where OLM put the operator's OperatorCondition. */
export interface OperatorConditionRef {
  readonly namespace: string;
  readonly name: string;
}

/** What runs in one registry that replacing the operator would interrupt. */
export interface RegistryUpgradeState {
  /** Quay's database migration Job runs (or, in an upgrade from a previous Quay version, is about to). */
  readonly migration: boolean;
  /** Managed databases moving to a newer PostgreSQL major (postgres, clairpostgres). */
  readonly databases: readonly string[];
  /** A restore (the quay-operator/restore annotation) not yet ended: Inspecting, ScalingDown, Restoring or Migrating. */
  readonly restore: boolean;
}

export interface UpgradeableCondition {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/**
 * A registry's state from its plan, and whether a restore is under way (lib/controller/restore.ts:
 * a new operator would find the registry stopped mid-way, or its database half replaced). A failed
 * migration or copy is not running: it waits for the admin, and holding OLM back would also hold
 * back a newer operator that may fix it.
 */
export function upgradeStateOf(plan: Pick<Plan, 'migration' | 'databaseUpgrades'>, currentVersion: string | undefined, version: string, restoring = false): RegistryUpgradeState {
  const upgrading = currentVersion !== undefined && currentVersion !== version;
  return {
    // A site that only waits for another site's migration runs nothing a new operator could break.
    migration: !plan.migration.elsewhere && (plan.migration.phase === 'running' || (plan.migration.phase === 'waiting' && upgrading)),
    databases: plan.databaseUpgrades.filter((u) => u.phase !== 'done' && u.phase !== 'failed').map((u) => u.kind),
    restore: restoring,
  };
}

function named(keys: string[]): string {
  const shown = keys.slice(0, NAMED).join(', ');
  return keys.length > NAMED ? `${shown} and ${keys.length - NAMED} more` : shown;
}

/** The Upgradeable condition over all registries (keys `namespace/name`). */
export function upgradeableCondition(states: ReadonlyMap<string, RegistryUpgradeState>): UpgradeableCondition {
  const keys = [...states.keys()].sort();
  const databases = keys.filter((k) => states.get(k)!.databases.length > 0);
  const migrations = keys.filter((k) => states.get(k)!.migration);
  const restores = keys.filter((k) => states.get(k)!.restore);
  if (databases.length === 0 && migrations.length === 0 && restores.length === 0) {
    return { status: 'True', reason: REASON_NONE, message: 'No QuayRegistry is running a database migration, a PostgreSQL upgrade or a restore' };
  }
  const parts: string[] = [];
  if (databases.length > 0) parts.push(`PostgreSQL major upgrade running in QuayRegistry ${named(databases.map((k) => `${k} (${states.get(k)!.databases.join(', ')})`))}`);
  if (restores.length > 0) parts.push(`restore running in QuayRegistry ${named(restores)}`);
  if (migrations.length > 0) parts.push(`database migration running in QuayRegistry ${named(migrations)}`);
  // A database upgrade comes first in a registry (its migration waits for it) and stops Quay: it names
  // the reason; then a restore (which stops Quay too, and may end with a migration of its own).
  return {
    status: 'False',
    reason: databases.length > 0 ? REASON_DATABASE_UPGRADE : restores.length > 0 ? REASON_RESTORE : REASON_MIGRATION,
    message: `${parts.join('; ')}; the operator must not be replaced until it finishes`,
  };
}

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The OperatorCondition OLM names in OPERATOR_CONDITION_NAME, in the operator's namespace
 * (POD_NAMESPACE, else the ServiceAccount's, as operator-lib finds it). Nothing when not under OLM.
 */
export function operatorConditionFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  readNamespace: () => string | undefined = () => {
    try {
      return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
): { condition?: OperatorConditionRef; problem?: string } {
  const name = env.OPERATOR_CONDITION_NAME?.trim();
  if (!name) return {};
  const namespace = env.POD_NAMESPACE?.trim() || readNamespace();
  if (!namespace) return { problem: `OPERATOR_CONDITION_NAME is ${name} but the operator's namespace is unknown (set POD_NAMESPACE): Upgradeable is not reported` };
  return { condition: { namespace, name } };
}

export interface OperatorConditionReporterOptions {
  readonly client: KubeClient;
  readonly condition: OperatorConditionRef;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** How soon a refused write (403, 404: no OperatorCondition) is tried again (default 60 s). */
  readonly retryMs?: number;
}

type Obj = Record<string, any>;

const same = (a: { status?: unknown; reason?: unknown; message?: unknown } | undefined, b: UpgradeableCondition) =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;

/** Aggregates the registries' states and keeps the OperatorCondition's Upgradeable in step, one write per change. */
export class OperatorConditionReporter {
  private readonly states = new Map<string, RegistryUpgradeState>();
  /** Registries listed at start and not reconciled since: no write before they are, lest a restart mid-upgrade say True. */
  private pending: Set<string> | undefined;
  /** What the live object holds, as far as this process knows. */
  private written: UpgradeableCondition | undefined;
  private failure: { message: string; at: number; wanted: string } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  /** Writes made to the OperatorCondition (tests, metrics). */
  writes = 0;

  constructor(private readonly options: OperatorConditionReporterOptions) {}

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }

  /** The registries that exist when the controller starts: nothing is written until each has been reconciled once. */
  start(keys: Iterable<string>): void {
    const { namespace, name } = this.options.condition;
    this.options.logger.info('reporting upgradeability to the OperatorCondition', { namespace, name });
    this.pending = new Set(keys);
    this.sync();
  }

  /** What a reconcile found in a registry (one that reached planning). */
  report(key: string, state: RegistryUpgradeState): void {
    this.states.set(key, state);
  }

  /** A reconcile of `key` ended, however it ended. */
  reconciled(key: string): void {
    this.pending?.delete(key);
    this.sync();
  }

  /** A registry deleted (or being deleted): whatever it ran no longer counts. */
  forget(key: string): void {
    this.pending?.delete(key);
    this.states.delete(key);
    this.sync();
  }

  /** The condition the registries call for now. */
  desired(): UpgradeableCondition {
    return upgradeableCondition(this.states);
  }

  private sync(): void {
    if (this.stopped || !this.pending || this.pending.size > 0) return;
    if (same(this.written, this.desired())) return;
    this.dirty = true;
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await this.writeOnce();
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async writeOnce(): Promise<void> {
    const desired = this.desired();
    if (same(this.written, desired)) return;
    const now = this.now();
    // A refused write is tried again when the value changes, or after retryMs (a timer), not at every reconcile.
    if (this.failure && this.failure.wanted === JSON.stringify(desired) && now.getTime() - this.failure.at < (this.options.retryMs ?? 60_000)) return;
    const { client, condition, logger } = this.options;
    const t = typeOf('OperatorCondition');
    try {
      for (let attempt = 0; ; attempt++) {
        const live = (await client.get(t, condition.namespace, condition.name)) as Obj | undefined;
        // OLM creates it; the operator never does (its Role names the object, and grants no create).
        if (!live) throw new ApiError(404, 'NotFound', `OperatorCondition ${condition.namespace}/${condition.name} not found`);
        const conditions = (live.spec?.conditions ?? []) as Obj[];
        const mine = conditions.find((c) => c.type === UPGRADEABLE);
        if (same(mine, desired)) break; // already so (a restart): no write
        const lastTransitionTime = mine?.status === desired.status && mine?.lastTransitionTime ? mine.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
        // spec.conditions is an atomic list: the others' conditions are sent back as they are, and
        // the resourceVersion makes a concurrent change a 409, retried from a new read.
        const next = [...conditions.filter((c) => c.type !== UPGRADEABLE), { type: UPGRADEABLE, status: desired.status, reason: desired.reason, message: desired.message, lastTransitionTime }];
        try {
          await client.apply(t, {
            apiVersion: OPERATOR_CONDITION_API,
            kind: 'OperatorCondition',
            metadata: { name: condition.name, namespace: condition.namespace, resourceVersion: live.metadata.resourceVersion },
            spec: { conditions: next },
          });
          this.writes++;
          logger.info('OperatorCondition set', { condition: UPGRADEABLE, status: desired.status, reason: desired.reason, message: desired.message });
          break;
        } catch (err) {
          if (err instanceof ApiError && err.status === 409 && attempt < 3) continue;
          throw err;
        }
      }
      this.written = desired;
      if (this.failure) logger.info('OperatorCondition written again', { name: condition.name });
      this.failure = undefined;
    } catch (err) {
      const message = err instanceof ApiError ? err.serverMessage : (err as Error).message;
      // Logged when new, not at every retry; reconciling goes on regardless.
      if (this.failure?.message !== message) logger.warn('could not set the OperatorCondition; OLM is not told whether upgrading is safe', { namespace: condition.namespace, name: condition.name, status: desired.status, err: message });
      this.failure = { message, at: now.getTime(), wanted: JSON.stringify(desired) };
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.failure) this.failure = { ...this.failure, at: 0 };
      this.sync();
    }, this.options.retryMs ?? 60_000);
    this.retryTimer.unref();
  }

  /** Resolves once no write is in flight. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Finishes a write in flight; no more after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.idle();
  }
}
