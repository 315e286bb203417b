// Pod-level pieces shared by every workload: the restricted Pod Security Standard, overrides
// (env, resources, placement), and replica counts that respect the HPA.
import { ApiObject, JsonPatch } from 'cdk8s';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { AUTOSCALED } from '../../lib/api/override-support';
import type { ComponentKind, EnvVar, Overrides, ResourceRequirements } from '../../lib/api/types';
import type { RegistryModel } from '../../lib/model';
import type { PodSecurityOverride } from '../../lib/api/types';

/** OpenShift's SCCs assign UIDs and fsGroups; elsewhere the pod must say them itself. */
export function isOpenShift(model: RegistryModel): boolean {
  return model.environment.capabilities.routes;
}

/** "restricted" Pod Security Standard for a container. */
export function restrictedSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Pod security context. On OpenShift the restricted-v2 SCC picks the UID and fsGroup from the
 * namespace's range, and a fixed one would be rejected. Elsewhere, images whose USER is not numeric
 * (clair: nobody) need runAsUser for runAsNonRoot to be verifiable, and volumes need an fsGroup.
 */
export function podSecurityContext(model: RegistryModel, ids?: { runAsUser?: number; fsGroup?: number }, override?: PodSecurityOverride): k8s.PodSecurityContext {
  const base: k8s.PodSecurityContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
  const defaults: k8s.PodSecurityContext =
    isOpenShift(model) || !ids
      ? {}
      : { ...(ids.runAsUser !== undefined ? { runAsUser: ids.runAsUser, runAsGroup: ids.runAsUser } : {}), ...(ids.fsGroup !== undefined ? { fsGroup: ids.fsGroup } : {}) };
  // The securityContext override sets ids only (validated: never root); the restrictions stay.
  return { ...base, ...defaults, ...(override as k8s.PodSecurityContext | undefined) };
}

function toEnvVar(e: EnvVar): k8s.EnvVar {
  // valueFrom keeps the Kubernetes JSON shape; the L1 serializer maps the same field names.
  return { name: e.name, ...(e.value !== undefined ? { value: e.value } : {}), ...(e.valueFrom ? { valueFrom: e.valueFrom as k8s.EnvVarSource } : {}) };
}

/** Override env vars replace base vars of the same name in place; new ones are appended in order. */
export function mergeEnv(base: readonly k8s.EnvVar[], overrides: readonly EnvVar[] | undefined): k8s.EnvVar[] {
  const out = [...base];
  for (const e of overrides ?? []) {
    const i = out.findIndex((b) => b.name === e.name);
    if (i >= 0) out[i] = toEnvVar(e);
    else out.push(toEnvVar(e));
  }
  return out;
}

type QuantityMap = Record<string, string | number>;

function quantities(map: QuantityMap | undefined): Record<string, k8s.Quantity> | undefined {
  if (!map) return undefined;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, typeof v === 'number' ? k8s.Quantity.fromNumber(v) : k8s.Quantity.fromString(v)]));
}

/** Defaults, with the override's requests and limits replacing the default ones key by key. */
export function resourcesFor(defaults: ResourceRequirements, override: ResourceRequirements | undefined): k8s.ResourceRequirements {
  const requests = { ...defaults.requests, ...override?.requests };
  const limits = { ...defaults.limits, ...override?.limits };
  return {
    ...(Object.keys(requests).length ? { requests: quantities(requests) } : {}),
    ...(Object.keys(limits).length ? { limits: quantities(limits) } : {}),
  };
}

/**
 * Affinity, tolerations and nodeSelector go in as the user wrote them (a JSON patch after
 * rendering), so fields newer than our Kubernetes 1.27 types are kept.
 */
export function applyPlacement(obj: ApiObject, podSpecPath: string, overrides: Overrides): void {
  if (overrides.affinity) obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/affinity`, overrides.affinity));
  if (overrides.tolerations) obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/tolerations`, overrides.tolerations));
  if (overrides.nodeSelector) obj.addJsonPatch(JsonPatch.add(`${podSpecPath}/nodeSelector`, overrides.nodeSelector));
}

/** Spread pods of a component across nodes unless the user chose an affinity. */
export function preferSpreading(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchExpressions: Object.entries(selector).map(([key, value]) => ({ key, operator: 'In', values: [value] })) },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
      ],
    },
  };
}

/**
 * spec.replicas of an autoscalable component: absent while a managed HPA owns it, the override
 * when the user pins it (0 scales down; the HPA is then not rendered), else 2 as the seeds say.
 * `replicas: null` leaves the field to the user's own HPA.
 */
export function replicasFor(model: RegistryModel, kind: ComponentKind): number | undefined {
  const replicas = model.components[kind].overrides.replicas;
  if (replicas === 0) return 0;
  if (AUTOSCALED.includes(kind) && model.components.horizontalpodautoscaler.managed) return undefined;
  if (replicas === null) return undefined;
  return replicas ?? 2;
}

/** Whether the managed HPA scales this component (it is managed and not pinned to 0). */
export function autoscaled(model: RegistryModel, kind: ComponentKind): boolean {
  return model.components.horizontalpodautoscaler.managed && model.components[kind].managed && model.components[kind].overrides.replicas !== 0;
}
