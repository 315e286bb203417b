// Runs corpus cases through the controller: one fake API server, one controller (the operator's own
// RBAC), every case in a namespace of its own, all at once. The QuayRegistry CRD is installed without
// its schema, so every input reaches the operator (as with a CRD from an older release): the CRD is a
// first line of defence, not the only one. A second server with the real CRD tells which inputs the
// API server would have refused before the operator saw them.
import type { Controller } from '../../../lib/controller/controller';
import { createLogger } from '../../../lib/controller/runtime/logger';
import { Registry } from '../../../lib/controller/runtime/metrics';
import { DEFAULT_QUAY_VERSION } from '../../../lib/images';
import { openshiftCluster } from '../../support/cluster-sim';
import { OPERATOR_USER, startController } from '../../support/controller-harness';
import { FakeApiServer } from '../../support/fake-apiserver';
import { installOperator } from '../../support/operator-install';
import { CorpusCase, Obj } from './case';

const CRD = 'quayregistries.quay.redhat.com';
const QR = 'quay.redhat.com/v1';
/** metav1.Condition's limit on a message: a longer one is not "a clear message". */
export const MAX_CONDITION_MESSAGE = 32 * 1024;

export interface Submitted {
  readonly c: CorpusCase;
  readonly namespace: string;
  readonly name: string;
  /** `apiVersion/kind/name` → uid of what the case created. */
  readonly created: Map<string, string>;
  /** Why the API server refused to create the input (then the controller never sees it). */
  readonly createError?: string;
  /** With the real CRD: the API server's refusal of the registry, if any. */
  readonly crdRefusal?: string;
}

export class ControllerCorpus {
  private constructor(
    readonly server: FakeApiServer,
    readonly crdServer: FakeApiServer,
    readonly controller: Controller,
    /** The controller's log lines, parsed. */
    readonly logs: Obj[],
    readonly metrics: Registry,
  ) {}

  static async start(): Promise<ControllerCorpus> {
    const server = await FakeApiServer.start();
    openshiftCluster(server);
    const kubeConfig = installOperator(server);
    // The CRD without its schema: anything goes in, as far as the API server is concerned.
    const crd = server.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, CRD) as Obj;
    crd.spec.versions = (crd.spec.versions as Obj[]).map((v) => ({ ...v, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }));
    server.update(crd);
    const crdServer = await FakeApiServer.start({ auth: false });
    const logs: Obj[] = [];
    const logger = createLogger({ level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } });
    const metrics = new Registry();
    const controller = await startController(kubeConfig, { quayVersion: DEFAULT_QUAY_VERSION, logger, metrics });
    return new ControllerCorpus(server, crdServer, controller, logs, metrics);
  }

  async stop(): Promise<void> {
    await this.controller.stop();
    await this.server.stop();
    await this.crdServer.stop();
  }

  /** Creates the case's objects (as a user would, before or with the registry) in namespace `namespace`. */
  submit(c: CorpusCase, namespace: string): Submitted {
    const objects = (c.objects ?? []).map((o): Obj => ({ ...structuredClone(o), metadata: { ...(o.metadata ?? {}), namespace } }));
    const registry = objects.find((o) => o.kind === 'QuayRegistry');
    const name = String(registry?.metadata?.name ?? '');
    const created = new Map<string, string>();
    let crdRefusal: string | undefined;
    if (registry) {
      try {
        this.crdServer.create(structuredClone(registry));
      } catch (err) {
        crdRefusal = (err as Error).message;
      }
    }
    // Secrets first, as `kubectl apply -f` of a directory would often have it; the registry last.
    for (const o of [...objects.filter((x) => x !== registry), ...(registry ? [registry] : [])]) {
      try {
        const stored = this.server.create(o);
        created.set(key(stored), stored.metadata.uid);
      } catch (err) {
        return { c, namespace, name, created, createError: `${o.kind} ${o.metadata?.name}: ${(err as Error).message}`, ...(crdRefusal ? { crdRefusal } : {}) };
      }
    }
    return { c, namespace, name, created, ...(crdRefusal ? { crdRefusal } : {}) };
  }

  registry(s: Submitted): Obj | undefined {
    return this.server.get(QR, 'QuayRegistry', s.namespace, s.name);
  }

  /** RolloutBlocked of the registry's status, once the status describes its current generation. */
  settled(s: Submitted): Obj | undefined {
    const r = this.registry(s);
    if (!r || r.status?.observedGeneration !== r.metadata.generation) return undefined;
    return ((r.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'RolloutBlocked');
  }

  /** Objects in the case's namespace (and the dashboards' namespace) it did not create, but for Events. */
  extraObjects(s: Submitted): string[] {
    const out: string[] = [];
    for (const t of this.server.servedTypes()) {
      if (!t.namespaced || t.kind === 'Event') continue;
      for (const o of this.server.list(t.apiVersion, t.kind, s.namespace) as Obj[]) {
        if (!s.created.has(key(o))) out.push(`${o.kind}/${o.metadata.name}`);
      }
    }
    const dashboards = (this.server.list('v1', 'ConfigMap', 'openshift-config-managed') as Obj[]).filter((o) => o.metadata.labels?.['quay-operator/quayregistry-namespace'] === s.namespace);
    return [...out, ...dashboards.map((o) => `ConfigMap openshift-config-managed/${o.metadata.name}`)];
  }

  /** What the case created and is no longer there, or is there with another uid. */
  missing(s: Submitted): string[] {
    return [...s.created].filter(([k, uid]) => {
      const [apiVersion, kind, name] = splitKey(k);
      return this.server.get(apiVersion, kind, s.namespace, name)?.metadata.uid !== uid;
    }).map(([k]) => k);
  }

  /** The controller's "reconcile failed" lines for the registry: an exception, not a verdict. */
  failures(s: Submitted): string[] {
    return this.logs.filter((l) => l.msg === 'reconcile failed' && l.registry === `${s.namespace}/${s.name}`).map((l) => String(l.err));
  }

  /** Every DELETE the operator sent. */
  deletions(): string[] {
    return this.server.writes().filter((w) => w.user === OPERATOR_USER && w.method === 'DELETE').map((w) => `${w.path}: ${w.code}`);
  }
}

function key(o: Obj): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.name}`;
}
function splitKey(k: string): [string, string, string] {
  return k.split('|') as [string, string, string];
}

/** The keys Secret is created once, before the rules that need the bundle are checked: not a rendering. */
export function isKeysSecret(extra: string, name: string): boolean {
  return extra === `Secret/${name}-quay-registry-managed-secret-keys`;
}

/** What is wrong with the controller's verdict on a submitted case; none when it behaved. */
export function judgeController(corpus: ControllerCorpus, s: Submitted, blocked: Obj | undefined): string[] {
  const out: string[] = [];
  const { c } = s;
  if (s.createError) return [`the API server refused the input (a CLI-only case?): ${s.createError}`];
  out.push(...corpus.failures(s).map((e) => `reconcile failed (an exception, not a verdict): ${e}`));
  if (!blocked) return [...out, 'no RolloutBlocked condition for the current generation'];
  const missing = corpus.missing(s);
  if (missing.length > 0) out.push(`deleted or replaced: ${missing.join(', ')}`);
  if (c.expect.refused) {
    if (blocked.status !== 'True') out.push(`RolloutBlocked=${blocked.status} (${blocked.reason}), expected True`);
    if (c.expect.reason && blocked.reason !== c.expect.reason) out.push(`reason ${blocked.reason}, expected ${c.expect.reason}`);
    const message = String(blocked.message ?? '');
    if (message.length > MAX_CONDITION_MESSAGE) out.push(`condition message of ${message.length} characters (at most ${MAX_CONDITION_MESSAGE})`);
    for (const name of c.expect.names) if (!message.includes(name)) out.push(`message does not name ${JSON.stringify(name)}: ${message.slice(0, 300)}`);
    const applied = corpus.extraObjects(s).filter((x) => !isKeysSecret(x, s.name));
    if (applied.length > 0) out.push(`applied for a refused registry: ${applied.slice(0, 8).join(', ')}${applied.length > 8 ? ` and ${applied.length - 8} more` : ''}`);
  } else if (blocked.status !== 'False') {
    out.push(`RolloutBlocked=True (${blocked.reason}): ${String(blocked.message).slice(0, 300)}`);
  }
  return out;
}
