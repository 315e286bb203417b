// The updaters import of a disconnected Clair (the seeds' air-gapped steps, without `oc cp` of
// clairctl or a port-forward to the database): one Job per request (the quay-operator/clair-import-
// updaters annotation and its id), rendered by the controller (lib/controller/clair-import.ts),
// running `clairctl import-updaters` from Clair's own image, with Clair's own config and database
// login, on a bundle in a PersistentVolumeClaim or at a URL inside the cluster.
import { createHash } from 'node:crypto';
import { App, Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { CLAIR_IMPORT_ANNOTATION, ImportSource } from '../lib/api/clair-disconnected';
import type { RegistryModel } from '../lib/model';
import { KubeObject, sortObjects } from '../lib/synth';
import { boundedName } from './backup';
import { CLAIR_CONFIG_DIR, clairDatabaseEnv, clairPodParts, clairProxyEnv } from './clair';
import { SHARED_NAMES } from './shared/component';
import { metadataFor, nameFor, podTemplateMetadata, selectorLabels } from './shared/metadata';
import { applyPlacement, mergeEnv, podSecurityContext, resourcesFor, restrictedSecurityContext } from './shared/pod';

/** `quay-component` of the import's pods: Clair's database admits them (constructs/network-policies.ts). */
export const CLAIR_IMPORT_COMPONENT = 'clair-import-updaters';
/** Where a source claim is mounted, read-only. */
export const UPDATERS_MOUNT = '/updaters';
/** Where the seeds copy clairctl from: it is in Clair's image. */
export const CLAIRCTL = '/usr/bin/clairctl';

export interface ClairImportRequest {
  readonly source: string;
  readonly id?: string;
}

/** One name per request: another source or id is another Job (Jobs are immutable). */
export function clairImportJobName(model: Pick<RegistryModel, 'name'>, request: ClairImportRequest): string {
  const hash = createHash('sha256').update(JSON.stringify([request.source, request.id ?? ''])).digest('hex').slice(0, 8);
  return boundedName(model.name, `clair-import-${hash}`, 63);
}

/** What clairctl is given: the file in the mounted claim, or the URL (it fetches http(s) itself). */
export function importArgument(source: ImportSource): string {
  return source.kind === 'pvc' ? `${UPDATERS_MOUNT}/${source.path}` : source.url;
}

export interface ClairImportJobProps {
  readonly model: RegistryModel;
  readonly request: ClairImportRequest;
  readonly source: ImportSource;
}

export class ClairImportJob extends Chart {
  constructor(scope: App, id: string, props: ClairImportJobProps) {
    super(scope, id, { namespace: props.model.namespace, disableResourceNameHashes: true });
    const { model, request, source } = props;
    const overrides = model.components.clair.overrides;
    const pod = clairPodParts(model);
    const claim: { volume: k8s.Volume; mount: k8s.VolumeMount } | undefined =
      source.kind === 'pvc'
        ? { volume: { name: 'updaters', persistentVolumeClaim: { claimName: source.claim, readOnly: true } }, mount: { name: 'updaters', mountPath: UPDATERS_MOUNT, readOnly: true } }
        : undefined;
    const job = new k8s.KubeJob(this, 'job', {
      metadata: metadataFor(model, clairImportJobName(model, request), { component: CLAIR_IMPORT_COMPONENT, overrides, annotations: { [CLAIR_IMPORT_ANNOTATION]: request.source } }),
      spec: {
        // Importing again is harmless (clairctl records each update operation); a bad bundle fails each time.
        backoffLimit: 2,
        // A stalled download must not hold the request for ever.
        activeDeadlineSeconds: 6 * 3600,
        template: {
          metadata: podTemplateMetadata(selectorLabels(model, CLAIR_IMPORT_COMPONENT), overrides),
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: nameFor(model, SHARED_NAMES.clairApp),
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(model, { runAsUser: 65534, fsGroup: 65534 }, overrides.securityContext),
            containers: [
              {
                name: 'import-updaters',
                image: model.environment.images.clair,
                command: [CLAIRCTL, '--config', `${CLAIR_CONFIG_DIR}/config.yaml`, 'import-updaters', importArgument(source)],
                env: mergeEnv([...clairDatabaseEnv(model), ...clairProxyEnv(model)], overrides.env),
                // clairctl's last log lines explain a failure: the controller reads them into the status.
                terminationMessagePolicy: 'FallbackToLogsOnError',
                resources: resourcesFor({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi' } }, undefined),
                securityContext: restrictedSecurityContext(),
                volumeMounts: [pod.config.mount, pod.certificates.mount, ...(pod.trustedCa ? [pod.trustedCa.mount] : []), ...(claim ? [claim.mount] : [])],
              },
            ],
            volumes: [pod.config.volume, pod.certificates.volume, ...(pod.trustedCa ? [pod.trustedCa.volume] : []), ...(claim ? [claim.volume] : [])],
          },
        },
      },
    });
    // Where Clair may run (e.g. the nodes that reach its database), the import may run.
    applyPlacement(job, '/spec/template/spec', overrides);
  }
}

/** The request's Job, as the controller applies it (then owned and stamped like the render). */
export function renderClairImportJob(model: RegistryModel, request: ClairImportRequest, source: ImportSource): KubeObject[] {
  const chart = new ClairImportJob(new App(), `${model.name}-clair-import`, { model, request, source });
  return sortObjects(chart.toJson() as KubeObject[]);
}
