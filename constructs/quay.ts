// Quay itself (always managed): the quay-app Deployment serving the registry, its Service and
// ServiceAccount, the config it mounts (QuayConfig), and the Job that migrates the database to this
// Quay version. Quay's pods run `registry-nomigrate`: only the Job changes the schema.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import type { RegistryModel } from '../lib/model';
import type { PodSecurityOverride } from '../lib/api/types';
import { runsMigrations } from '../lib/api/geo-replication';
import { RETRY_MIGRATION_ANNOTATION } from '../lib/names';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, mergeEnv, podSecurityContext, preferSpreading, replicasFor, resourcesFor, restrictedSecurityContext } from './shared/pod';
import { QuayConfig, proxyEnv, quayConfigAnnotations, quayConfigEnv, quayConfigInitContainer, quayConfigVolumeMounts, quayConfigVolumes, quayServesTls } from './quay-volumes';
import { quaySchemaCheckJobName, renderSchemaCheckJob } from './quay-schema-check';

/** Pod label (and Service selector) of quay-app; the metrics Service selects it too. */
export const QUAY_APP_COMPONENT = SHARED_NAMES.quayApp;
export const QUAY_UPGRADE_COMPONENT = 'quay-app-upgrade';
/** On the migration Job and its pod: the Quay version it migrates to, for the controller. */
export const QUAY_VERSION_ANNOTATION = 'quay-operator/quay-version';

/** The quay image's user; off OpenShift the pod names it so fsGroup-owned volumes are writable. */
export const QUAY_UID = 1001;

export function quayAppName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.quayApp);
}

/** ServiceAccount of every pod running the Quay image (quay-app, mirror, Job, config editor). */
export function quayServiceAccountName(model: RegistryModel): string {
  return nameFor(model, SHARED_NAMES.quayApp);
}

export function quayUpgradeJobName(model: Pick<RegistryModel, 'name'>): string {
  return `${model.name}-quay-app-upgrade`;
}

/**
 * The Job Quay's rollout waits for: the migration Job, or, on a geo-replication site that does not
 * migrate (spec.migrations.run: false), the Job that waits for the shared database to be migrated.
 */
export function migrationGateJobName(model: Pick<RegistryModel, 'name' | 'registry'>): string {
  return runsMigrations(model.registry.spec) ? quayUpgradeJobName(model) : quaySchemaCheckJobName(model);
}

/** The Quay image's pods; `overrides` is the securityContext override of the component they belong to (quay or mirror). */
export function quayPodSecurityContext(model: RegistryModel, override: PodSecurityOverride | undefined): k8s.PodSecurityContext {
  return podSecurityContext(model, { runAsUser: QUAY_UID, fsGroup: QUAY_UID }, override);
}

function healthProbe(model: RegistryModel, timeoutSeconds: number): k8s.Probe {
  const tls = quayServesTls(model);
  return {
    httpGet: { path: '/health/instance', port: k8s.IntOrString.fromNumber(tls ? 8443 : 8080), scheme: tls ? 'HTTPS' : 'HTTP' },
    periodSeconds: 15,
    failureThreshold: 10,
    timeoutSeconds,
  };
}

/**
 * quay-app's pod template metadata: also `app: quay`, which the seeds' backup procedure selects
 * (`oc get pod -l app=quay`). Not in the selector: a Deployment's selector is immutable.
 */
function quayAppTemplateMetadata(selector: Record<string, string>, overrides: Parameters<typeof podTemplateMetadata>[1], annotations: Record<string, string>): k8s.ObjectMeta {
  const meta = podTemplateMetadata(selector, overrides, annotations);
  return { ...meta, labels: { app: 'quay', ...meta.labels } };
}

export class Quay extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.quay.overrides;
    const name = quayAppName(model);
    const selector = selectorLabels(model, QUAY_APP_COMPONENT);
    const meta = (objectName: string) => metadataFor(model, objectName, { component: QUAY_APP_COMPONENT, overrides });

    new QuayConfig(this, 'config', props);

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: meta(quayServiceAccountName(model)) });

    new k8s.KubeService(this, 'service', {
      metadata: meta(name),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'https', protocol: 'TCP', port: 443, targetPort: k8s.IntOrString.fromNumber(8443) },
          { name: 'http', protocol: 'TCP', port: 80, targetPort: k8s.IntOrString.fromNumber(8080) },
          { name: 'jwtproxy', protocol: 'TCP', port: 8081, targetPort: k8s.IntOrString.fromNumber(8081) },
          { name: 'grpc', protocol: 'TCP', port: 55443, targetPort: k8s.IntOrString.fromNumber(55443) },
        ],
      },
    });

    const replicas = replicasFor(model, 'quay');
    const env = mergeEnv(
      [
        ...quayConfigEnv(model),
        { name: 'DEBUGLOG', value: 'false' },
        { name: 'WORKER_COUNT_WEB', value: '4' },
        { name: 'WORKER_COUNT_SECSCAN', value: '2' },
        { name: 'WORKER_COUNT_REGISTRY', value: '8' },
        { name: 'QUAY_VERSION', value: model.environment.quayVersion },
        ...proxyEnv(model),
      ],
      overrides.env,
    );

    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(name),
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        selector: { matchLabels: selector },
        // Two replicas and none down during a rollout: a new pod must be ready before an old one goes.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: quayAppTemplateMetadata(selector, overrides, quayConfigAnnotations(model)),
          spec: {
            serviceAccountName: quayServiceAccountName(model),
            securityContext: quayPodSecurityContext(model, model.components.quay.overrides?.securityContext),
            initContainers: [quayConfigInitContainer(model)],
            // Time for gunicorn to finish in-flight requests after SIGTERM; interrupted uploads resume.
            terminationGracePeriodSeconds: 60,
            ...(overrides.affinity ? {} : { affinity: preferSpreading(selector) }),
            containers: [
              {
                name: 'quay-app',
                image: model.environment.images.quay,
                args: ['registry-nomigrate'],
                env,
                ports: [
                  { name: 'https', containerPort: 8443, protocol: 'TCP' },
                  { name: 'http', containerPort: 8080, protocol: 'TCP' },
                  { name: 'jwtproxy', containerPort: 8081, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9091, protocol: 'TCP' },
                  { name: 'grpc', containerPort: 55443, protocol: 'TCP' },
                ],
                // The seeds' sizing, as requests. A memory limit keeps a leak from taking the node;
                // no CPU limit, so startup (many gunicorn workers) is not throttled into probe failures.
                resources: resourcesFor({ requests: { cpu: '2000m', memory: '8Gi' }, limits: { memory: '8Gi' } }, overrides.resources),
                startupProbe: healthProbe(model, 20),
                readinessProbe: healthProbe(model, 10),
                livenessProbe: healthProbe(model, 10),
                securityContext: restrictedSecurityContext(),
                volumeMounts: quayConfigVolumeMounts(),
              },
            ],
            volumes: quayConfigVolumes(model),
          },
        },
      },
    });
    applyPlacement(deployment, '/spec/template/spec', overrides);

    // The migration Job. Its quay-version annotation tells the controller which version the schema
    // is being migrated to; the controller creates it only when that version is not yet deployed.
    const versionAnnotation = { [QUAY_VERSION_ANNOTATION]: model.environment.quayVersion };
    // The retry the admin asked for (an annotation on the registry), so the controller tells a retried Job from the failed one.
    const retry = model.registry.metadata.annotations?.[RETRY_MIGRATION_ANNOTATION];
    const jobAnnotations = { ...versionAnnotation, ...(retry !== undefined ? { [RETRY_MIGRATION_ANNOTATION]: retry } : {}) };
    if (!runsMigrations(model.registry.spec)) {
      // Another site migrates the shared database: this one only waits for it (./quay-schema-check.ts).
      const securityContext = quayPodSecurityContext(model, model.components.quay.overrides?.securityContext);
      renderSchemaCheckJob(this, { model, serviceAccountName: quayServiceAccountName(model), securityContext, annotations: jobAnnotations, podAnnotations: versionAnnotation });
      return;
    }
    const job = new k8s.KubeJob(this, 'upgrade-job', {
      metadata: metadataFor(model, quayUpgradeJobName(model), {
        component: QUAY_UPGRADE_COMPONENT,
        overrides,
        annotations: jobAnnotations,
      }),
      spec: {
        // Migrations are not idempotent: a retry after a half-applied migration fails with
        // DuplicateTable and buries the real error. Fail once, keep the failed pod's log
        // (restartPolicy Never), and let the controller report it and decide about a new Job.
        backoffLimit: 0,
        template: {
          metadata: podTemplateMetadata(selectorLabels(model, QUAY_UPGRADE_COMPONENT), overrides, { ...versionAnnotation, ...quayConfigAnnotations(model) }),
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: quayServiceAccountName(model),
            securityContext: quayPodSecurityContext(model, model.components.quay.overrides?.securityContext),
            initContainers: [quayConfigInitContainer(model)],
            containers: [
              {
                name: 'quay-app-upgrade',
                image: model.environment.images.quay,
                args: ['migrate', 'head'],
                // The user's quay env applies here too (e.g. DB connection settings), as upstream.
                env: mergeEnv(
                  [...quayConfigEnv(model), { name: 'DEBUGLOG', value: 'false' }, { name: 'QUAY_VERSION', value: model.environment.quayVersion }],
                  overrides.env,
                ),
                resources: resourcesFor({ requests: { cpu: '1000m', memory: '3Gi' }, limits: { memory: '8Gi' } }, undefined),
                securityContext: restrictedSecurityContext(),
                volumeMounts: quayConfigVolumeMounts(),
              },
            ],
            // The same volumes as quay-app: upstream's Job mounted only the config Secret and so
            // missed the TLS secret.
            volumes: quayConfigVolumes(model),
          },
        },
      },
    });
    // Where Quay may run, the migration may run (e.g. the only nodes that reach an external database).
    applyPlacement(job, '/spec/template/spec', overrides);
  }
}
