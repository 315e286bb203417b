// What the fault suites compare: the final state of a registry's rollout, normalized so that two
// runs that did the same thing compare equal (generated keys, uids, times and counters differ from
// run to run), and the history of the run (migration Jobs created, sets of keys written, Secrets
// deleted), which the final state alone cannot show.
import { createHash } from 'node:crypto';
import { DEFAULT_QUAY_VERSION } from '../../lib/images';
import { managedKeysSecretName } from '../../lib/keys';
import { secretStrings } from '../../lib/secrets';
import type { FakeApiServer } from '../support/fake-apiserver';

type Obj = Record<string, any>;

export const NS = 'quay-enterprise';
export const NAME = 'example-registry';
/** The Quay version `run` deploys without QUAY_VERSION. */
export const VERSION = DEFAULT_QUAY_VERSION;
export const REGISTRY = { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry' };
export const MIGRATION_JOB = `${NAME}-quay-app-upgrade`;
export const KEYS_SECRET = managedKeysSecretName(NAME);
/** Namespaces whose objects make the final state: the registry's, and the console's (the dashboard). */
const NAMESPACES = [NS, 'openshift-config-managed'];
/** Kinds that are not part of the final state: a record of what happened, not what is. */
const SKIPPED_KINDS = new Set(['Event', 'Lease', 'Pod']);

/** The normalized final state: `Kind/namespace/name` → the object as compared. */
export type FinalState = Record<string, unknown>;

/** Replaces every generated key value (and values derived from them, such as the reconfigure token) with a placeholder. */
function placeholders(server: FakeApiServer): (text: string) => string {
  const keys = server.get('v1', 'Secret', NS, KEYS_SECRET) as Obj | undefined;
  const values: [string, string][] = [];
  for (const [k, v] of Object.entries(keys ? secretStrings(keys) : {})) {
    if (v.length >= 8 && v !== 'postgres') values.push([k, v]);
    // The database password inside DB_URI is a Secret's value of its own.
    const password = /:\/\/[^:/@]+:([^@]+)@/.exec(v)?.[1];
    if (password) values.push([`${k}:password`, decodeURIComponent(password)]);
  }
  values.sort((a, b) => b[1].length - a[1].length);
  return (text) => {
    let out = text;
    for (const [k, v] of values) out = out.split(v).join(`<${k}>`);
    // Values hashed from the keys (digests on pod templates, the editor's reconfigure token) are
    // 64-hex or base64 strings of their own: the test cannot recompute them, so they are masked.
    // uids (a Job's controller-uid label and selector) are the server's, different in every run.
    return out.replace(/\b[0-9a-f]{64}\b/g, '<sha256>').replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uid>');
  };
}

/** Annotations whose values are hashes of content that holds generated keys. */
const KEY_DIGEST_ANNOTATION = /digest|hash|checksum/i;

function normalize(o: Obj, mask: (s: string) => string): unknown {
  const metadata: Obj = { name: o.metadata.name, namespace: o.metadata.namespace };
  if (o.metadata.labels) metadata.labels = o.metadata.labels;
  if (o.metadata.annotations) {
    metadata.annotations = Object.fromEntries(Object.entries(o.metadata.annotations as Record<string, string>).map(([k, v]) => [k, KEY_DIGEST_ANNOTATION.test(k) ? '<digest>' : v]));
  }
  if (o.metadata.finalizers) metadata.finalizers = o.metadata.finalizers;
  if (o.metadata.ownerReferences) metadata.ownerReferences = (o.metadata.ownerReferences as Obj[]).map((r) => `${r.kind}/${r.name}`);
  const { metadata: _m, status, data, stringData, ...rest } = o;
  void _m;
  const body: Obj = { ...rest, metadata };
  if (o.kind === 'Secret') body.data = secretStrings({ data, stringData });
  else if (data !== undefined) body.data = data;
  if (o.kind === REGISTRY.kind) body.status = registryStatus(status);
  return sortKeys(JSON.parse(maskDigests(mask(JSON.stringify(body)))));
}

/** Keys in order: the API server keeps fields in the order they were first written, which a fault can change (a status field written later). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Obj)[k])]));
  return v;
}

/** Pod template annotations carrying digests of key-bearing content. */
function maskDigests(json: string): string {
  return json.replace(/("[^"]*(?:digest|hash|checksum)[^"]*":)"[^"]*"/gi, '$1"<digest>"');
}

/** The registry's status without times: conditions (type, status, reason, message) and the rest. */
export function registryStatus(status: Obj | undefined): Obj | undefined {
  if (!status) return undefined;
  const { conditions, lastUpdated: _u, ...rest } = status;
  void _u;
  return {
    ...rest,
    conditions: ((conditions ?? []) as Obj[]).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })).sort((a, b) => (a.type < b.type ? -1 : 1)),
  };
}

/** The final state: every object in the registry's namespaces but Events, Leases and Pods, normalized; the namespace's labels. */
export function finalState(server: FakeApiServer): FinalState {
  const mask = placeholders(server);
  const out: FinalState = {};
  for (const t of server.servedTypes()) {
    if (!t.namespaced || SKIPPED_KINDS.has(t.kind)) continue;
    for (const ns of NAMESPACES) {
      for (const o of server.list(t.apiVersion, t.kind, ns) as Obj[]) out[`${t.kind}/${ns}/${o.metadata.name}`] = normalize(o, mask);
    }
  }
  out[`Namespace/${NS}`] = (server.get('v1', 'Namespace', undefined, NS) as Obj | undefined)?.metadata.labels;
  return out;
}

/** A short digest of each object of a final state: the report lists which objects differ, not their bodies. */
export function digests(state: FinalState): Record<string, string> {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12)]));
}

/** Where two values differ, as `path: actual ≠ expected` lines (a failing test's message). */
export function changes(actual: unknown, expected: unknown, path = ''): string[] {
  if (JSON.stringify(actual) === JSON.stringify(expected)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObj(actual) && isObj(expected) && Array.isArray(actual) === Array.isArray(expected)) {
    return [...new Set([...Object.keys(actual), ...Object.keys(expected)])].flatMap((k) => changes(actual[k], expected[k], `${path}.${k}`));
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v).slice(0, 300));
  return [`${path || '.'}: ${show(actual)} ≠ ${show(expected)}`];
}

/** The objects of two final states that differ, with both versions (for a failing test's message). */
export function difference(actual: FinalState, expected: FinalState): Record<string, { actual: unknown; expected: unknown }> {
  const out: Record<string, { actual: unknown; expected: unknown }> = {};
  for (const k of new Set([...Object.keys(actual), ...Object.keys(expected)])) {
    if (JSON.stringify(actual[k]) !== JSON.stringify(expected[k])) out[k] = { actual: actual[k], expected: expected[k] };
  }
  return out;
}

/** What happened during a run, from every change the server stored. */
export interface History {
  /** uids of the migration Jobs created. */
  readonly migrationJobs: Set<string>;
  /** Each distinct content the keys Secret had. */
  readonly keySets: Set<string>;
  /** Each distinct database password the postgres config Secret (derived from the keys) carried. */
  readonly derivedPasswords: Set<string>;
  /** Secrets deleted, as namespace/name. */
  readonly deletedSecrets: string[];
  stop(): void;
}

export function recordHistory(server: FakeApiServer): History {
  const h = { migrationJobs: new Set<string>(), keySets: new Set<string>(), derivedPasswords: new Set<string>(), deletedSecrets: [] as string[] };
  const stop = server.onChange(({ type, obj }) => {
    const { kind, metadata } = obj;
    if (kind === 'Job' && metadata.name === MIGRATION_JOB && type === 'ADDED') h.migrationJobs.add(metadata.uid);
    if (kind !== 'Secret') return;
    if (type === 'DELETED') h.deletedSecrets.push(`${metadata.namespace}/${metadata.name}`);
    else if (metadata.name === KEYS_SECRET) h.keySets.add(JSON.stringify(Object.entries(secretStrings(obj)).sort()));
    else if (metadata.name === `${NAME}-postgres-config-secret`) {
      const s = secretStrings(obj);
      h.derivedPasswords.add(s['database-password'] ?? JSON.stringify(Object.entries(s).sort()));
    }
  });
  return { ...h, stop };
}

/** The history's verdict: one migration Job, one set of keys, the keys never deleted, one database password. */
export function historyProblems(h: History): string[] {
  const problems: string[] = [];
  if (h.migrationJobs.size !== 1) problems.push(`${h.migrationJobs.size} migration Jobs created`);
  if (h.keySets.size !== 1) problems.push(`the keys Secret held ${h.keySets.size} different sets of keys`);
  if (h.derivedPasswords.size !== 1) problems.push(`the database password changed: ${h.derivedPasswords.size} values`);
  const lost = h.deletedSecrets.filter((s) => s.startsWith(`${NS}/`));
  if (lost.length > 0) problems.push(`Secrets deleted: ${lost.join(', ')}`);
  return problems;
}
