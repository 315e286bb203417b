// spec.initialUser: the seeds' first-user step (POST /api/v1/user/initialize) done by the operator,
// once, when Quay is first Available. The user's Secret gives username, password and email; the
// access token Quay returns goes into `<name>-quay-initial-user-token`. The outcome is the
// InitialUserCreated condition (and status.initialUser); a refusal is final until the Secret
// changes, an unreachable Quay is tried again a minute later. Nothing of the Secret or the token is
// ever logged or put in a condition.
import type { Condition, QuayRegistryStatus } from '../api/types';
import type { RegistryModel } from '../model';
import { secretStrings } from '../secrets';
import type { KubeObject } from '../synth';
import { ApiError, KubeClient } from './kube-client';
import type { QuayApi, QuayTarget } from './quay-api';
import { ownerReference, typeOf } from './resources';

export const INITIAL_USER_CONDITION = 'InitialUserCreated';
export const RETRY_UNREACHABLE_MS = 60_000;
const KEYS = ['username', 'password', 'email'] as const;

export function initialUserTokenSecretName(registry: string): string {
  return `${registry}-quay-initial-user-token`;
}

/** What status.initialUser records: whose call it was, against which version of the Secret. */
export interface InitialUserStatus {
  readonly secretName: string;
  readonly secretResourceVersion: string;
  readonly outcome: 'Created' | 'Refused' | 'Unreachable' | 'SecretInvalid';
  readonly username?: string;
  readonly tokenSecret?: string;
}

export interface InitialUserResult {
  readonly condition?: Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>;
  readonly status?: InitialUserStatus;
  readonly writes: number;
  readonly requeueAfterMs?: number;
  readonly event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

export interface InitialUserDeps {
  readonly client: KubeClient;
  readonly quayApi: QuayApi;
  /** Where quay-app answers; the in-cluster Service unless a test says otherwise. */
  readonly target: (model: RegistryModel) => QuayTarget;
}

const cond = (status: boolean, reason: string, message: string) => ({ type: INITIAL_USER_CONDITION, status: status ? ('True' as const) : ('False' as const), reason, message });

/** The in-cluster address of quay-app: its http port, or https pinned to Quay's own certificate. */
export function serviceTarget(model: RegistryModel): QuayTarget {
  const host = `${model.name}-quay-app.${model.namespace}.svc`;
  return model.certificate ? { baseUrl: `https://${host}:443`, pinnedCertificate: model.certificate.cert } : { baseUrl: `http://${host}:80` };
}

/** Quay's refusal as the admin should read it (its own message, or the status code). */
function refusal(status: number, body: unknown): { reason: string; message: string } {
  const said = typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message.slice(0, 300) : undefined;
  if (said && /non-empty database/i.test(said)) {
    return { reason: 'DatabaseNotEmpty', message: 'Quay already has users: the first user is created only in an empty database (Quay: "Cannot initialize user in a non-empty database"); nothing was changed' };
  }
  if (status === 404) return { reason: 'UserInitializeDisabled', message: 'Quay answered 404: /api/v1/user/initialize is off (FEATURE_USER_INITIALIZE must be true)' };
  return { reason: 'UserRefused', message: `Quay refused the user (HTTP ${status})${said ? `: ${said}` : ''}; fix the Secret to try again` };
}

export async function reconcileInitialUser(
  deps: InitialUserDeps,
  registry: KubeObject,
  model: RegistryModel,
  previous: QuayRegistryStatus | undefined,
  available: boolean,
  now: Date,
): Promise<InitialUserResult> {
  const secretName = model.registry.spec.initialUser?.secretName;
  if (!secretName) return { writes: 0 };
  const before = (previous as { initialUser?: InitialUserStatus } | undefined)?.initialUser;
  const kept = previous?.conditions?.find((c) => c.type === INITIAL_USER_CONDITION);
  const keep = (): InitialUserResult => ({ ...(kept ? { condition: kept } : {}), ...(before ? { status: before } : {}), writes: 0 });
  // Created once: never again, whatever happens to the Secret.
  if (before?.outcome === 'Created' && before.secretName === secretName) return keep();
  if (!available) return { condition: cond(false, 'WaitingForQuay', 'waiting for Quay to be Available before creating the first user'), ...(before ? { status: before } : {}), writes: 0 };

  let secret: Record<string, unknown> | undefined;
  try {
    secret = (await deps.client.get(typeOf('Secret'), model.namespace, secretName)) as Record<string, unknown> | undefined;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  const version = String((secret?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? '');
  // A refusal is final for this version of the Secret; an unreachable Quay is tried again after a minute.
  if (before && before.secretName === secretName && before.secretResourceVersion === version) {
    if (before.outcome !== 'Unreachable') return keep();
    const since = kept?.lastTransitionTime ? now.getTime() - Date.parse(kept.lastTransitionTime) : Infinity;
    if (since < RETRY_UNREACHABLE_MS) return { ...keep(), requeueAfterMs: RETRY_UNREACHABLE_MS - since };
  }
  const record = (outcome: InitialUserStatus['outcome'], extra: Partial<InitialUserStatus> = {}): InitialUserStatus => ({ secretName, secretResourceVersion: version, outcome, ...extra });
  if (!secret) {
    return { condition: cond(false, 'SecretNotFound', `Secret ${secretName} (spec.initialUser.secretName) not found in namespace ${model.namespace}`), status: record('SecretInvalid'), writes: 0 };
  }
  const values = secretStrings(secret);
  const missing = KEYS.filter((k) => !values[k]);
  if (missing.length > 0) {
    return { condition: cond(false, 'SecretInvalid', `Secret ${secretName} (spec.initialUser.secretName) has no ${missing.join(', ')}: it needs username, password and email`), status: record('SecretInvalid'), writes: 0 };
  }

  let answer;
  try {
    answer = await deps.quayApi(deps.target(model), '/api/v1/user/initialize', { username: values.username, password: values.password, email: values.email, access_token: true });
  } catch (err) {
    return {
      condition: cond(false, 'QuayUnreachable', `could not reach Quay to create the first user (${(err as Error).message}); trying again in a minute`),
      status: record('Unreachable'),
      writes: 0,
      requeueAfterMs: RETRY_UNREACHABLE_MS,
    };
  }
  if (answer.status >= 500) {
    return { condition: cond(false, 'QuayUnreachable', `Quay answered ${answer.status} to the first-user call; trying again in a minute`), status: record('Unreachable'), writes: 0, requeueAfterMs: RETRY_UNREACHABLE_MS };
  }
  const token = (answer.body as { access_token?: unknown } | undefined)?.access_token;
  if (answer.status !== 200 || typeof token !== 'string') {
    const r = refusal(answer.status, answer.body);
    return { condition: cond(false, r.reason, r.message), status: record('Refused'), writes: 0, event: { type: 'Warning', reason: 'InitialUserRefused', message: r.message } };
  }
  const tokenSecret = initialUserTokenSecretName(model.name);
  await deps.client.apply(typeOf('Secret'), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: tokenSecret, namespace: model.namespace, ownerReferences: [ownerReference(registry)] },
    type: 'Opaque',
    stringData: { username: values.username, access_token: token },
  } as KubeObject);
  const message = `user ${values.username} created; its OAuth access token is in Secret ${tokenSecret}`;
  return {
    condition: cond(true, 'UserCreated', message),
    status: record('Created', { username: values.username, tokenSecret }),
    writes: 1,
    event: { type: 'Normal', reason: 'InitialUserCreated', message },
  };
}

/** `status` with the first-user condition (merged like the others) and status.initialUser. */
export function withInitialUser(
  status: QuayRegistryStatus,
  previous: QuayRegistryStatus | undefined,
  result: InitialUserResult,
  merge: (previous: readonly Condition[] | undefined, next: readonly Omit<Condition, 'lastTransitionTime' | 'lastUpdateTime'>[], now: string) => Condition[],
  now: string,
): QuayRegistryStatus {
  if (!result.condition) return status;
  const [merged] = merge(previous?.conditions, [result.condition], now);
  return { ...status, conditions: [...(status.conditions ?? []), merged], ...(result.status ? { initialUser: result.status } : {}) } as QuayRegistryStatus;
}
