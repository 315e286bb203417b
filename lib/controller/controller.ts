// The controller: informers on QuayRegistries and what they own, a work queue that serializes each
// registry and runs different registries in parallel, and the reconciler. Everything the operator
// does starts as an event mapped to a registry key (`namespace/name`).
import { LABEL_REGISTRY } from '../api/types';
import { LABEL_REGISTRY_NAMESPACE, SHARED_NAMES } from '../names';
import type { Environment, RegistryModel } from '../model';
import type { KubeObject } from '../synth';
import { Applier, withOwnFieldsOnly } from './applier';
import { serviceTarget } from './initial-user';
import { QuayApi, QuayTarget, postToQuay } from './quay-api';
import { ClusterFacts, discover, sameFacts } from './discovery';
import { InputCache, inputTransform } from './inputs';
import { KubeClient } from './kube-client';
import { OperatorConditionRef, OperatorConditionReporter } from './operator-condition';
import type { Reconciler, ReadCache, ReconcilerDeps } from './reconciler';
import { RefusalReporter } from './refusals';
import { OWNED_KINDS, typeOf } from './resources';
import { Informer } from './runtime/informer';
import { dropManagedFields } from './runtime/store';
import { internStrings } from './runtime/intern';
import { Logger } from './runtime/logger';
import { Registry } from './runtime/metrics';
import { WorkQueue } from './runtime/workqueue';

export interface ControllerOptions {
  readonly client: KubeClient;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  /** Images, Quay version and proxy; capabilities and the apps domain come from discovery. */
  readonly environment: Omit<Environment, 'capabilities' | 'appsDomain'>;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Registries reconciled at once (default 4). */
  readonly concurrency?: number;
  /** How often every registry is reconciled even without events (default 10 min). */
  readonly resyncMs?: number;
  /** How often optional APIs are re-discovered (default 5 min). */
  readonly discoveryIntervalMs?: number;
  /** Under OLM: the OperatorCondition (OPERATOR_CONDITION_NAME) told whether upgrading the operator is safe. */
  readonly operatorCondition?: OperatorConditionRef;
  /** Quay's API (the first-user call) and where quay-app answers: tests replace them with a fake Quay. */
  readonly quayApi?: QuayApi;
  readonly quayTarget?: (model: RegistryModel) => QuayTarget;
  /** The apps domain where discovery finds none (clusters without OpenShift's ingress config): QUAY_APPS_DOMAIN. */
  readonly appsDomain?: string;
}

type Obj = Record<string, any>;

/**
 * What the controller reads of an owned object besides its metadata; everything else is dropped
 * before caching. A cached Deployment otherwise holds its whole pod template, and informer caches
 * were most of the memory each registry cost (bench: 1000 registries).
 */
const KEPT_FIELDS: Record<string, (o: Obj) => Obj> = {
  // The database's image and volume: a PostgreSQL major upgrade is decided from them.
  Deployment: (o) => ({
    spec: {
      replicas: o.spec?.replicas,
      // Immutable: a Deployment another operator created with another selector is replaced (takeover).
      ...(o.spec?.selector ? { selector: o.spec.selector } : {}),
      template: {
        spec: {
          containers: ((o.spec?.template?.spec?.containers ?? []) as Obj[]).map((c) => ({ name: c.name, image: c.image })),
          volumes: ((o.spec?.template?.spec?.volumes ?? []) as Obj[]).filter((v) => v.persistentVolumeClaim).map((v) => ({ name: v.name, persistentVolumeClaim: { claimName: v.persistentVolumeClaim.claimName } })),
        },
      },
    },
    status: o.status,
  }),
  Job: (o) => ({ status: o.status }),
  // spec.backup's: the last schedule and success times go into status.backups; suspend is held during a restore.
  CronJob: (o) => ({ spec: { suspend: o.spec?.suspend }, status: o.status }),
  PersistentVolumeClaim: (o) => ({
    spec: { resources: { requests: { storage: o.spec?.resources?.requests?.storage } }, ...(o.spec?.storageClassName ? { storageClassName: o.spec.storageClassName } : {}) },
    status: o.status,
  }),
  ObjectBucketClaim: (o) => ({ status: { phase: o.status?.phase } }),
  Route: (o) => ({ spec: { host: o.spec?.host }, status: o.status }),
  Ingress: (o) => ({ spec: { rules: ((o.spec?.rules ?? []) as Obj[]).map((r) => ({ host: r.host })) }, status: o.status }),
  HTTPRoute: (o) => ({ spec: { hostnames: o.spec?.hostnames }, status: o.status }),
  TLSRoute: (o) => ({ spec: { hostnames: o.spec?.hostnames }, status: o.status }),
};

/** Keeps an owned object's metadata (managedFields only as the hash of our own entry) and the few fields the controller reads. */
export function slim(obj: KubeObject): KubeObject {
  const metadata = withOwnFieldsOnly(obj, dropManagedFields(obj).metadata);
  const keep = KEPT_FIELDS[obj.kind];
  return internStrings({ apiVersion: obj.apiVersion, kind: obj.kind, metadata, ...(keep ? keep(obj as Obj) : {}) });
}


/**
 * Kinds only some registries render (an exposure, a backup schedule): watched from the first
 * reconcile that renders one (or at start, when some exist), so the rest cost no list and no watch.
 * A kind missing here is watched from the start: the safe default.
 */
const ON_DEMAND_KINDS: ReadonlySet<string> = new Set(['CronJob', 'Ingress', 'HTTPRoute', 'TLSRoute', 'Certificate']);

export class Controller {
  readonly queue: WorkQueue<string>;
  private readonly registries: Informer;
  private readonly owned = new Map<string, Informer>();
  private readonly inputs: InputCache;
  /** On-demand kinds asked for (rendered, or found at start). */
  private readonly onDemand = new Set<string>();
  /** Loaded at the first reconcile: rendering (cdk8s and the constructs) is most of the operator's code. */
  private reconciler: Reconciler | undefined;
  private facts: ClusterFacts | undefined;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private started = false;
  private registriesStarted = false;
  /** stop() was called: a start() still under way must not start anything more. */
  private stopping = false;
  private readonly log: Logger;
  /** Set only under OLM: otherwise nothing touches OperatorConditions. */
  private readonly upgradeable: OperatorConditionReporter | undefined;

  constructor(private readonly options: ControllerOptions) {
    const { client, namespace, logger, metrics } = options;
    this.log = logger;
    this.upgradeable = options.operatorCondition ? new OperatorConditionReporter({ client, condition: options.operatorCondition, logger }) : undefined;
    const selector = namespace ? { namespace } : {};
    // Informers for the kinds a registry owns start in start(), once discovery says which APIs exist.
    this.registries = new Informer({ client, type: typeOf('QuayRegistry'), selector, transform: (o) => internStrings(dropManagedFields(o)), resyncMs: options.resyncMs ?? 600_000, logger });

    const reconciles = metrics.counter({ name: 'quay_operator_reconciles_total', help: 'Reconciles, by result.', labelNames: ['result'] });
    const duration = metrics.histogram({ name: 'quay_operator_reconcile_duration_seconds', help: 'Time a reconcile takes.' });
    const writes = metrics.counter({ name: 'quay_operator_api_writes_total', help: 'Writes to the Kubernetes API made by reconciles.' });
    metrics.gauge({ name: 'quay_operator_queue_depth', help: 'Registries waiting to be reconciled.', collect: (g) => g.set({}, this.queue.depth()) });
    metrics.gauge({ name: 'quay_operator_registries', help: 'QuayRegistries watched.', collect: (g) => g.set({}, this.registries.size()) });

    // A failing reconcile is retried with backoff; its error is logged when it is new, not at every retry.
    const lastError = new Map<string, string>();
    this.queue = new WorkQueue<string>({
      onError: (key, err, retryInMs) => {
        const message = (err as Error).message;
        if (lastError.get(key) !== message) this.log.error('reconcile failed', { registry: key, err: message, retryInMs });
        lastError.set(key, message);
      },
      onProcessed: (key, ms, outcome) => {
        reconciles.inc({ result: outcome });
        duration.observe({}, ms / 1000);
        if (outcome !== 'error' && lastError.delete(key)) this.log.info('reconcile succeeded again', { registry: key });
      },
    });
    this.inputs = new InputCache(client, this.owned as ReadonlyMap<string, ReadCache>);
    const deps: ReconcilerDeps = {
      client,
      registries: this.registries,
      owned: this.owned as ReadonlyMap<string, ReadCache>,
      inputs: this.inputs,
      environment: () => this.environment(),
      watchKinds: (kinds) => this.watchKinds(kinds),
      applier: new Applier(client),
      logger,
      refusals: new RefusalReporter(client, logger, metrics),
      initialUser: { client, quayApi: options.quayApi ?? postToQuay, target: options.quayTarget ?? serviceTarget },
      ...(this.upgradeable ? { onUpgradeState: (ns: string, name: string, state) => this.upgradeable!.report(`${ns}/${name}`, state) } : {}),
    };
    this.handle = async (key: string) => {
      const [ns, name] = key.split('/');
      try {
        // Loaded before the check: reconciles that start together must share one Reconciler (its memory of deletes).
        const { Reconciler } = await import('./reconciler');
        this.reconciler ??= new Reconciler(deps);
        const result = await this.reconciler.reconcile(ns, name);
        writes.inc({}, result.writes);
        return result.requeueAfterMs ? { requeueAfterMs: result.requeueAfterMs } : undefined;
      } finally {
        const registry = this.registries.get(ns, name);
        if (registry && !registry.metadata.deletionTimestamp) this.upgradeable?.reconciled(key);
        else this.upgradeable?.forget(key);
      }
    };
    this.wireEvents();
  }

  private readonly handle: (key: string) => Promise<{ requeueAfterMs: number } | undefined>;

  environment(): Environment {
    if (!this.facts) throw new Error('cluster facts not discovered yet');
    const appsDomain = this.facts.appsDomain ?? this.options.appsDomain;
    return { ...this.options.environment, capabilities: this.facts.capabilities, ...(appsDomain ? { appsDomain } : {}) };
  }

  /** The environment, discovering the cluster first when this replica has not (a standby without the lease). */
  async discoveredEnvironment(): Promise<Environment> {
    this.facts ??= await discover(this.options.client, this.options.namespace);
    return this.environment();
  }

  private enqueue(namespace: string | undefined, name: string | undefined): void {
    if (namespace && name) this.queue.add(`${namespace}/${name}`);
  }

  private wireEvents(): void {
    this.registries.addEventHandler({
      onAdd: (o) => this.enqueue(o.metadata.namespace, o.metadata.name),
      // Status writes (our own) do not trigger a reconcile; spec, metadata and resyncs do.
      onUpdate: (old, o) => {
        const changed = old === o || old.metadata.generation !== o.metadata.generation || JSON.stringify(old.metadata) !== JSON.stringify({ ...o.metadata, resourceVersion: old.metadata.resourceVersion });
        if (changed) this.enqueue(o.metadata.namespace, o.metadata.name);
      },
      onDelete: (o) => this.upgradeable?.forget(`${o.metadata.namespace}/${o.metadata.name}`),
    });
  }

  /** An owned object changed: reconcile its registry (labels say which). */
  private readonly fromOwned = (o: KubeObject): void => {
    const registry = o.metadata.labels?.[LABEL_REGISTRY];
    if (registry) this.enqueue(o.metadata.labels?.[LABEL_REGISTRY_NAMESPACE] ?? o.metadata.namespace, registry);
    else if (o.kind === 'Secret' || o.kind === 'ConfigMap') this.enqueueReferencing(o);
  };

  /** A user's config bundle or certificate Secret (a cert-manager renewal), or a bucket provisioner's Secret or ConfigMap, changed. */
  private enqueueReferencing(o: KubeObject): void {
    for (const r of this.registries.list(o.metadata.namespace)) {
      const spec = (r.spec ?? {}) as { configBundleSecret?: string; tlsSecret?: string; initialUser?: { secretName?: string } };
      const name = o.metadata.name;
      const referenced = o.kind === 'Secret' && (spec.configBundleSecret === name || spec.tlsSecret === name || spec.initialUser?.secretName === name);
      if (referenced || name === `${r.metadata.name}-${SHARED_NAMES.datastore}`) {
        this.enqueue(r.metadata.namespace, r.metadata.name);
      }
    }
  }

  /** Kinds whose API the cluster serves: the optional ones only when discovered. */
  private servedKinds(): string[] {
    const caps = this.facts?.capabilities;
    const optional: Record<string, boolean | undefined> = {
      Route: caps?.routes,
      Ingress: caps?.ingress,
      // networking.k8s.io/v1 serves both (every real cluster does).
      NetworkPolicy: caps?.ingress,
      HTTPRoute: caps?.httpRoutes,
      TLSRoute: caps?.tlsRoutes,
      Certificate: caps?.certificates,
      ObjectBucketClaim: caps?.objectBucketClaims,
      ServiceMonitor: caps?.monitoring,
      PrometheusRule: caps?.monitoring,
    };
    return OWNED_KINDS.filter((k) => optional[k] !== false);
  }

  /** Starts an informer for every served kind that has none yet (at start, and when an API appears). */
  private async startInformers(): Promise<void> {
    const { client, namespace, logger } = this.options;
    const selector = namespace ? { namespace } : {};
    const started: Informer[] = [];
    for (const kind of this.servedKinds()) {
      if (this.owned.has(kind) || (ON_DEMAND_KINDS.has(kind) && !this.onDemand.has(kind))) continue;
      // Secrets and ConfigMaps: every one in scope (metadata only), since the user's bundle and the
      // bucket provisioner's are not labelled for us. Other kinds: only ours.
      // Their data only where a registry reads it (inputs.ts).
      const unlabelled = kind === 'Secret' || kind === 'ConfigMap';
      const informer = new Informer({
        client,
        type: typeOf(kind),
        selector: unlabelled ? selector : { ...selector, labelSelector: LABEL_REGISTRY },
        transform: unlabelled ? inputTransform(this.registries) : slim,
        logger,
      });
      const onDelete = unlabelled ? (o: KubeObject) => (this.inputs.forget(o), this.fromOwned(o)) : this.fromOwned;
      informer.addEventHandler({ onAdd: this.fromOwned, onUpdate: (_old, o) => this.fromOwned(o), onDelete });
      this.owned.set(kind, informer);
      informer.start();
      started.push(informer);
    }
    await Promise.all(started.map((i) => i.waitForSync()));
  }

  /** Makes sure these kinds are watched and cached (on-demand kinds a reconcile is about to apply). */
  async watchKinds(kinds: Iterable<string>): Promise<void> {
    const wanted = [...kinds].filter((k) => ON_DEMAND_KINDS.has(k));
    if (wanted.every((k) => this.onDemand.has(k))) return;
    for (const k of wanted) this.onDemand.add(k);
    await this.startInformers();
    await Promise.all(wanted.map((k) => this.owned.get(k)?.waitForSync()));
  }

  /**
   * On-demand kinds that already have objects of ours (a registry exposed by an Ingress before a
   * restart): watched from the start, so what a registry no longer renders is still pruned. Only
   * looked for when there are registries (none on a first install).
   */
  private async findOnDemandKinds(): Promise<void> {
    if (this.registries.size() === 0) return;
    const { client, namespace } = this.options;
    const kinds = this.servedKinds().filter((k) => ON_DEMAND_KINDS.has(k) && !this.onDemand.has(k));
    const found = await Promise.all(kinds.map(async (k) => ((await client.list(typeOf(k), { ...(namespace ? { namespace } : {}), labelSelector: LABEL_REGISTRY })).items.length > 0 ? k : undefined)));
    for (const k of found) if (k) this.onDemand.add(k);
  }

  /** Discovers the cluster, starts the informers, waits for their caches, then starts working. */
  async start(): Promise<void> {
    this.facts = await discover(this.options.client, this.options.namespace);
    if (this.stopping) return;
    this.log.info('cluster discovered', { ...this.facts.capabilities, appsDomain: this.facts.appsDomain ?? null, namespace: this.options.namespace ?? '(all)' });
    // start() is tried again after a failure (run.ts): a list below that failed once must not
    // leave it failing forever with "informer already started".
    if (!this.registriesStarted) this.registries.start();
    this.registriesStarted = true;
    // Registries first: the Secret and ConfigMap caches keep data only for what they reference.
    await this.registries.waitForSync();
    // A SIGTERM during a slow start (429s waited out, an API server down): stop here, or the
    // informers started below would keep the process alive after stop() returned.
    if (this.stopping) return;
    await this.findOnDemandKinds();
    if (this.stopping) return;
    await this.startInformers();
    if (this.stopping) {
      for (const i of this.owned.values()) i.stop();
      return;
    }
    this.upgradeable?.start(this.registries.list().map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
    this.queue.start(this.options.concurrency ?? 4, this.handle);
    this.started = true;
    const interval = this.options.discoveryIntervalMs ?? 300_000;
    this.discoveryTimer = setInterval(() => void this.rediscover(), interval);
    this.discoveryTimer.unref();
  }

  private async rediscover(): Promise<void> {
    try {
      const facts = await discover(this.options.client, this.options.namespace);
      if (this.facts && !sameFacts(facts, this.facts)) {
        this.log.info('cluster capabilities changed', { ...facts.capabilities, appsDomain: facts.appsDomain ?? null });
        this.facts = facts;
        await this.startInformers();
        for (const r of this.registries.list()) this.enqueue(r.metadata.namespace, r.metadata.name);
      }
    } catch (err) {
      this.log.warn('discovery failed; keeping what was known', { err: (err as Error).message });
    }
  }

  isReady(): boolean {
    return this.started && this.registries.hasSynced();
  }

  /** Resolves when nothing is queued or running (tests and the benchmark). */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  /** Graceful stop: finish reconciles in flight, then stop watching. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    await this.queue.shutdown();
    await this.upgradeable?.stop();
    this.registries.stop();
    for (const i of this.owned.values()) i.stop();
  }
}
