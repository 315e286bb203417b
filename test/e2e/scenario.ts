// The end-to-end smoke test, against any cluster: a real one (`npm run e2e -- --kubeconfig PATH`)
// or the fake API server with a simulated cluster (test/e2e/e2e.test.ts). Steps:
//   install the CRD; create a namespace; run the operator (in this process, by default as the
//   ServiceAccount `quay-operator manifests` creates, with a token from the TokenRequest API);
//   create a registry whose bundle has external S3 storage and its own certificate; wait for
//   Available; change the bundle (Quay rolls); unmanage mirror (pruned); break the bundle (blocked,
//   nothing deleted); mend it; delete the registry (everything it owned goes); clean up.
// Each step is printed with its duration; the first failure ends the run (cleanup still runs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { OPERATOR_NAME, OperatorInstall } from '../../constructs/operator-install';
import { quayRegistryCrd } from '../../lib/api/crd';
import { Controller } from '../../lib/controller/controller';
import { ApiError, KubeClient } from '../../lib/controller/kube-client';
import { resourceType, typeOf } from '../../lib/controller/resources';
import { Logger, silentLogger } from '../../lib/controller/runtime/logger';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES, DEFAULT_QUAY_VERSION } from '../../lib/images';
import type { KubeObject } from '../../lib/synth';

type Obj = Record<string, any>;

export interface ScenarioOptions {
  readonly kubeConfig: KubeConfig;
  /** The registry's namespace; a fresh `quay-e2e-<random>` (created and deleted) when not given. */
  readonly namespace?: string;
  /** Run the operator in this process (default) or rely on one already running in the cluster. */
  readonly operator?: 'in-process' | 'external';
  /** Run the in-process operator as the manifests' ServiceAccount (default true). */
  readonly asServiceAccount?: boolean;
  /** Run the in-process operator watching only the registry's namespace. */
  readonly watchNamespace?: boolean;
  /** How long to wait for each condition (default 10 min). */
  readonly stepTimeoutMs?: number;
  /** The registry's certificate and key (PEM) and the hostname they cover. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly hostname: string };
  readonly print?: (line: string) => void;
  /** Operator logs (default: none). */
  readonly logger?: Logger;
}

export interface StepResult {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
  readonly error?: string;
}

const NAME = 'e2e-registry';
const BUNDLE = 'e2e-config-bundle';
const QR = typeOf('QuayRegistry');
const SECRET = typeOf('Secret');
const DEPLOYMENT = typeOf('Deployment');
const NAMESPACE = typeOf('Namespace');
const CRD = typeOf('CustomResourceDefinition');

const FIXTURES = path.resolve(__dirname, '../fixtures/tls');

/** The test certificate that ships in test/fixtures/tls: a wildcard for *.apps.example.com, valid until 2126. */
export function defaultTls(): { cert: string; key: string; hostname: string } {
  const dir = fs.existsSync(FIXTURES) ? FIXTURES : path.resolve(__dirname, '../../../test/fixtures/tls');
  return { cert: fs.readFileSync(path.join(dir, 'wildcard.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'wildcard.key'), 'utf8'), hostname: 'quay-e2e.apps.example.com' };
}

function bundleConfig(hostname: string, extra = ''): string {
  return [
    `SERVER_HOSTNAME: ${hostname}`,
    'DISTRIBUTED_STORAGE_CONFIG:',
    '  default:',
    '    - S3Storage',
    '    - host: s3.example.com',
    '      s3_bucket: quay-e2e',
    '      s3_access_key: e2e-access-key',
    '      s3_secret_key: e2e-secret-key',
    '      storage_path: /registry',
    'DISTRIBUTED_STORAGE_PREFERENCE: [default]',
    'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [default]',
    extra,
  ].join('\n');
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

class Scenario {
  private readonly admin: KubeClient;
  private readonly namespace: string;
  private readonly print: (line: string) => void;
  private readonly timeoutMs: number;
  private readonly tls: { cert: string; key: string; hostname: string };
  private controller?: Controller;
  private createdNamespace = false;
  private installedCrd = false;
  readonly steps: StepResult[] = [];

  constructor(private readonly o: ScenarioOptions) {
    this.admin = new KubeClient(o.kubeConfig);
    this.namespace = o.namespace ?? `quay-e2e-${Math.random().toString(36).slice(2, 8)}`;
    this.print = o.print ?? ((l) => process.stdout.write(`${l}\n`));
    this.timeoutMs = o.stepTimeoutMs ?? 600_000;
    this.tls = o.tls ?? defaultTls();
  }

  private async step(name: string, fn: () => Promise<string | void>): Promise<void> {
    const start = Date.now();
    try {
      const detail = await fn();
      const ms = Date.now() - start;
      this.steps.push({ name, ms, ok: true });
      this.print(`ok   ${name} (${(ms / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
    } catch (err) {
      const ms = Date.now() - start;
      const error = (err as Error).message;
      this.steps.push({ name, ms, ok: false, error });
      this.print(`FAIL ${name} (${(ms / 1000).toFixed(1)} s): ${error}`);
      throw err;
    }
  }

  /** Polls `check` until it returns a value (not undefined) or the step times out. */
  private async until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    let last = '';
    for (;;) {
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
      await sleep(250);
    }
  }

  private registry(): Promise<Obj | undefined> {
    return this.admin.get(QR, this.namespace, NAME) as Promise<Obj | undefined>;
  }

  private async condition(type: string): Promise<Obj | undefined> {
    return ((await this.registry())?.status?.conditions ?? []).find((c: Obj) => c.type === type);
  }

  private bundle(extra = '', config?: string): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: BUNDLE, namespace: this.namespace },
      type: 'Opaque',
      stringData: { 'config.yaml': config ?? bundleConfig(this.tls.hostname, extra), 'ssl.cert': this.tls.cert, 'ssl.key': this.tls.key },
    };
  }

  private async deployments(): Promise<Obj[]> {
    return (await this.admin.list(DEPLOYMENT, { namespace: this.namespace, labelSelector: `quay-operator/quayregistry=${NAME}` })).items as Obj[];
  }

  /** The operator, in this process: as its ServiceAccount (RBAC from the manifests, a TokenRequest token) or with the given kubeconfig. */
  private async startOperator(): Promise<string> {
    let kubeConfig = this.o.kubeConfig;
    let who = 'with the given kubeconfig';
    if (this.o.asServiceAccount ?? true) {
      const install = new OperatorInstall(new App(), 'install', {
        namespace: OPERATOR_NAME,
        ...(this.o.watchNamespace ? { watchNamespace: this.namespace } : {}),
        image: 'quay-operator:e2e',
      });
      // Everything but the operator's Deployment: the operator runs here.
      for (const obj of install.toJson() as KubeObject[]) {
        if (obj.kind === 'Deployment' || obj.kind === 'CustomResourceDefinition') continue;
        await this.admin.apply(resourceType(obj.apiVersion, obj.kind), obj);
      }
      const tr = (await this.admin.post(`/api/v1/namespaces/${OPERATOR_NAME}/serviceaccounts/${OPERATOR_NAME}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      })) as Obj;
      kubeConfig = withToken(this.o.kubeConfig, tr.status.token);
      who = `as system:serviceaccount:${OPERATOR_NAME}:${OPERATOR_NAME}${this.o.watchNamespace ? `, watching ${this.namespace} only` : ''}`;
    }
    this.controller = new Controller({
      client: new KubeClient(kubeConfig),
      ...(this.o.watchNamespace ? { namespace: this.namespace } : {}),
      environment: { images: DEFAULT_IMAGES, quayVersion: process.env.QUAY_VERSION || DEFAULT_QUAY_VERSION },
      logger: this.o.logger ?? silentLogger,
      metrics: new Registry(),
    });
    await this.controller.start();
    return who;
  }

  async run(): Promise<void> {
    try {
      await this.step('install the QuayRegistry CRD', async () => {
        this.installedCrd = !(await this.admin.get(CRD, undefined, 'quayregistries.quay.redhat.com'));
        await this.admin.apply(CRD, quayRegistryCrd() as KubeObject);
        await this.until('the CRD to be Established', async () => {
          const crd = (await this.admin.get(CRD, undefined, 'quayregistries.quay.redhat.com')) as Obj | undefined;
          return (crd?.status?.conditions ?? []).some((c: Obj) => c.type === 'Established' && c.status === 'True') ? true : undefined;
        });
      });
      await this.step(`namespace ${this.namespace}`, async () => {
        if (await this.admin.get(NAMESPACE, undefined, this.namespace)) return 'exists';
        await this.admin.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } });
        this.createdNamespace = true;
        return 'created';
      });
      if ((this.o.operator ?? 'in-process') === 'in-process') await this.step('start the operator', () => this.startOperator());
      await this.step('create the registry: bundle with external S3 storage and its own certificate', async () => {
        await this.admin.create(SECRET, this.bundle());
        await this.admin.create(QR, { apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: NAME, namespace: this.namespace }, spec: { configBundleSecret: BUNDLE } });
      });
      await this.step('Available', async () => {
        const c = await this.until('Available=True', async () => {
          const available = await this.condition('Available');
          const blocked = await this.condition('RolloutBlocked');
          if (blocked?.status === 'True') throw new Error(`RolloutBlocked: ${blocked.reason}: ${blocked.message}`);
          return available?.status === 'True' ? available : undefined;
        });
        return `${c.reason}: ${c.message}`;
      });
      await this.step('change the bundle: quay-app rolls, the databases do not', async () => {
        const before = Object.fromEntries((await this.deployments()).map((d) => [d.metadata.name, d.metadata.generation]));
        await this.admin.apply(SECRET, this.bundle('TAG_EXPIRATION_OPTIONS: [2w, 4w]'));
        const quayApp = `${NAME}-quay-app`;
        await this.until(`${quayApp} to roll out`, async () => {
          const d = (await this.deployments()).find((x) => x.metadata.name === quayApp);
          const rolled = d && d.metadata.generation > before[quayApp] && (d.status?.observedGeneration ?? 0) >= d.metadata.generation && (d.status?.updatedReplicas ?? 0) >= 1;
          return rolled ? d : undefined;
        });
        const database = (await this.deployments()).find((x) => x.metadata.name === `${NAME}-quay-database`);
        if (database && database.metadata.generation !== before[database.metadata.name]) throw new Error('the database Deployment changed on a bundle change');
        await this.until('Available=True again', async () => ((await this.condition('Available'))?.status === 'True' ? true : undefined));
      });
      await this.step('unmanage mirror: its Deployment is pruned', async () => {
        await this.admin.mergePatch(QR, this.namespace, NAME, { spec: { components: [{ kind: 'mirror', managed: false }] } });
        await this.until('the mirror Deployment to be gone', async () => ((await this.deployments()).some((d) => d.metadata.name === `${NAME}-quay-mirror`) ? undefined : true));
        await this.until('ComponentMirrorReady ComponentNotManaged', async () => ((await this.condition('ComponentMirrorReady'))?.reason === 'ComponentNotManaged' ? true : undefined));
      });
      await this.step('an invalid bundle blocks the rollout and deletes nothing', async () => {
        const before = (await this.deployments()).map((d) => d.metadata.name).sort();
        await this.admin.apply(SECRET, this.bundle('', 'SERVER_HOSTNAME: [unclosed\n'));
        const c = await this.until('RolloutBlocked=True ConfigInvalid', async () => {
          const blocked = await this.condition('RolloutBlocked');
          return blocked?.status === 'True' && blocked.reason === 'ConfigInvalid' ? blocked : undefined;
        });
        const after = (await this.deployments()).map((d) => d.metadata.name).sort();
        if (JSON.stringify(after) !== JSON.stringify(before)) throw new Error(`Deployments changed while blocked: ${before} → ${after}`);
        return c.message;
      });
      await this.step('mend the bundle: the rollout continues', async () => {
        await this.admin.apply(SECRET, this.bundle('TAG_EXPIRATION_OPTIONS: [2w, 4w]'));
        await this.until('RolloutBlocked=False', async () => ((await this.condition('RolloutBlocked'))?.status === 'False' ? true : undefined));
      });
      await this.step('delete the registry: what it owned is garbage-collected', async () => {
        await this.admin.delete(QR, this.namespace, NAME);
        await this.until('the registry to be gone', async () => ((await this.registry()) ? undefined : true));
        await this.until('its Deployments to be gone', async () => ((await this.deployments()).length === 0 ? true : undefined));
      });
    } finally {
      await this.cleanup();
    }
  }

  private async cleanup(): Promise<void> {
    await this.step('clean up', async () => {
      await this.controller?.stop();
      const done: string[] = [];
      const gone = async (what: string, fn: () => Promise<void>) => {
        try {
          await fn();
          done.push(what);
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      };
      await gone('registry', () => this.admin.delete(QR, this.namespace, NAME));
      if (this.createdNamespace) await gone(`namespace ${this.namespace}`, () => this.admin.delete(NAMESPACE, undefined, this.namespace));
      else await gone('bundle', () => this.admin.delete(SECRET, this.namespace, BUNDLE));
      // The CRD only when this run installed it: deleting it deletes every QuayRegistry of the cluster.
      if (this.installedCrd) await gone('CRD', () => this.admin.delete(CRD, undefined, 'quayregistries.quay.redhat.com'));
      return done.length > 0 ? `deleted ${done.join(', ')}` : undefined;
    }).catch(() => undefined);
  }
}

function withToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'quay-operator', token }],
    contexts: [{ name: 'quay-operator', cluster: cluster.name, user: 'quay-operator' }],
    currentContext: 'quay-operator',
  });
  return kc;
}

/** Runs the scenario; resolves with every step's outcome (the run stops at the first failure). */
export async function runScenario(options: ScenarioOptions): Promise<{ ok: boolean; steps: StepResult[] }> {
  const s = new Scenario(options);
  try {
    await s.run();
  } catch {
    /* reported by the step */
  }
  return { ok: s.steps.every((x) => x.ok), steps: s.steps };
}
