// POST /reconfigure: where the config editor's "Validate and commit" lands (upstream's endpoint,
// port 7071, the body the config-tool sends). The operator checks the editor's token, validates the
// bundle exactly as a reconcile would, and writes it to the registry's config bundle Secret. It
// never touches the registry's spec (upstream created a new Secret and pointed spec at it); the
// bundle Secret's watch then rolls the registry as for any bundle change.
import { timingSafeEqual } from 'node:crypto';
import * as yaml from 'js-yaml';
import { API_VERSION, KIND } from '../api/types';
import { BUNDLE_KEYS, SECRET_KEY, bundleFromSecret, isBase64 } from '../bundle/bundle';
import { keysFromSecret, managedKeysSecretName, reconfigureToken } from '../keys';
import { Environment, buildModel } from '../model';
import { DNS_LABEL } from '../names';
import { formatProblem } from '../problems';
import type { KubeObject } from '../synth';
import { recordEvent } from './events';
import { ApiError, KubeClient } from './kube-client';
import { typeOf } from './resources';
import type { Logger } from './runtime/logger';

/** The largest body accepted: a Secret holds at most 1 MiB, base64 and JSON add a third. */
export const MAX_RECONFIGURE_BYTES = 2 * 1024 * 1024;

export interface ReconfigureDeps {
  readonly client: KubeClient;
  readonly environment: () => Environment | Promise<Environment>;
  readonly logger: Logger;
  /** The one namespace the operator watches; commits for others are refused. */
  readonly namespace?: string;
  readonly now?: () => Date;
}

export interface ReconfigureRequest {
  readonly authorization?: string;
  readonly body: Buffer;
}

export interface ReconfigureResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type Obj = Record<string, any>;

/** What the config-tool posts (pkg/lib/editor commitToOperator): the config and every certificate it holds, base64. */
interface Commit {
  readonly namespace: string;
  readonly registry: string;
  readonly config: Record<string, unknown>;
  readonly certs: Record<string, Buffer>;
}


function parseCommit(body: Buffer): { commit?: Commit; error?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { error: `body is not JSON: ${(err as Error).message}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'body must be a JSON object' };
  const d = doc as Obj;
  if (typeof d.namespace !== 'string' || !DNS_LABEL.test(d.namespace)) return { error: 'namespace must be a namespace name' };
  if (typeof d.quayRegistryName !== 'string' || !DNS_LABEL.test(d.quayRegistryName)) return { error: 'quayRegistryName must be a QuayRegistry name' };
  const config = d['config.yaml'];
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return { error: 'config.yaml must be an object' };
  const certs: Record<string, Buffer> = {};
  if (d.certs !== undefined && d.certs !== null) {
    if (typeof d.certs !== 'object' || Array.isArray(d.certs)) return { error: 'certs must be an object of file name to base64 content' };
    for (const [name, value] of Object.entries(d.certs as Obj)) {
      if (!SECRET_KEY.test(name) || name.length > 253) return { error: `certs: ${JSON.stringify(name)} is not a valid Secret key` };
      if (name === BUNDLE_KEYS.config) return { error: `certs: ${name} is the config itself` };
      if (typeof value !== 'string' || !isBase64(value)) return { error: `certs.${name} must be base64` };
      certs[name] = Buffer.from(value, 'base64');
    }
  }
  return { commit: { namespace: d.namespace, registry: d.quayRegistryName, config: config as Record<string, unknown>, certs } };
}

/** The password of a `Basic` Authorization header; the user name is not checked (the token is per registry). */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const UNAUTHORIZED: ReconfigureResponse = { status: 401, body: { error: 'unauthorized' } };

export async function handleReconfigure(deps: ReconfigureDeps, request: ReconfigureRequest): Promise<ReconfigureResponse> {
  const { client, logger } = deps;
  const password = basicPassword(request.authorization);
  if (password === undefined) return UNAUTHORIZED;
  const parsed = parseCommit(request.body);
  if (!parsed.commit) return { status: 400, body: { error: parsed.error } };
  const { namespace, registry: name, config, certs } = parsed.commit;
  // Unknown registry, other namespace, no keys, wrong token: one answer, so the endpoint tells an
  // unauthenticated caller nothing about what exists.
  if (deps.namespace !== undefined && namespace !== deps.namespace) return UNAUTHORIZED;
  const registry = (await client.get(typeOf('QuayRegistry'), namespace, name)) as Obj | undefined;
  const keysSecret = registry ? ((await client.get(typeOf('Secret'), namespace, managedKeysSecretName(name))) as Obj | undefined) : undefined;
  const keys = keysSecret ? keysFromSecret(keysSecret) : {};
  if (!registry || !keys.CONFIG_EDITOR_PW || !sameSecret(password, reconfigureToken(keys.CONFIG_EDITOR_PW, namespace, name))) {
    logger.warn('config editor commit refused: not authenticated', { namespace, registry: name });
    return UNAUTHORIZED;
  }

  const bundleName = registry.spec?.configBundleSecret;
  if (typeof bundleName !== 'string' || bundleName === '') return { status: 409, body: { error: `QuayRegistry ${name} names no configBundleSecret to commit to` } };
  const current = (await client.get(typeOf('Secret'), namespace, bundleName)) as Obj | undefined;
  if (!current) return { status: 409, body: { error: `config bundle Secret ${bundleName} not found` } };

  // The bundle as committed: the Secret's other files kept, config.yaml and the certificates replaced.
  const data: Record<string, string> = { ...(current.data ?? {}) };
  for (const [k, v] of Object.entries((current.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  data[BUNDLE_KEYS.config] = Buffer.from(yaml.dump(config, { sortKeys: true, lineWidth: -1, noRefs: true }), 'utf8').toString('base64');
  for (const [k, v] of Object.entries(certs)) data[k] = v.toString('base64');
  const next = { ...current, data, stringData: undefined };

  // The same checks a reconcile makes: a commit the registry would refuse is refused here, with the same message.
  const registryObj = { ...registry, apiVersion: API_VERSION, kind: KIND } as KubeObject;
  const bundle = bundleFromSecret(next);
  const tlsName = registry.spec?.tlsSecret;
  const tlsSecret = typeof tlsName === 'string' ? await client.get(typeOf('Secret'), namespace, tlsName) : undefined;
  const problems = bundle.bundle
    ? buildModel({ registry: registryObj, bundle: bundle.bundle, existingKeys: keys, ...(tlsSecret ? { tlsSecret } : {}), environment: await deps.environment() }).problems
    : bundle.problems;
  const now = deps.now ? deps.now() : new Date();
  if (problems.length > 0) {
    const messages = problems.map((p) => formatProblem(`configBundleSecret ${bundleName}`, p));
    await recordEvent(client, registryObj, { type: 'Warning', reason: 'ConfigEditorCommitRejected', message: `config editor commit refused: ${messages.join('; ')}` }, now).catch(() => undefined);
    return { status: 422, body: { error: 'the config bundle is invalid', problems: messages } };
  }

  const unchanged = JSON.stringify(Object.entries(data).sort()) === JSON.stringify(Object.entries((current.data ?? {}) as Record<string, string>).sort()) && !current.stringData;
  if (unchanged) return { status: 200, body: { status: 'unchanged', secret: bundleName } };
  try {
    // A replace with the resourceVersion read: a concurrent change to the bundle is not overwritten.
    const { stringData: _s, ...body } = next;
    await client.replace(typeOf('Secret'), body as unknown as KubeObject);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) return { status: 409, body: { error: `config bundle Secret ${bundleName} changed meanwhile; reload the editor and commit again` } };
    throw err;
  }
  logger.info('config bundle updated by the config editor', { namespace, registry: name, bundle: bundleName });
  await recordEvent(client, registryObj, { type: 'Normal', reason: 'ConfigEditorCommitted', message: `config bundle Secret ${bundleName} updated from the config editor` }, now).catch(() => undefined);
  return { status: 200, body: { status: 'committed', secret: bundleName } };
}
