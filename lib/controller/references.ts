// Which Secrets and ConfigMaps a pod (or a pod template) reads: volumes, projected sources, env and
// envFrom, in every container and init container. Pruning keeps what something still reads.
type Obj = Record<string, any>;

/** `Secret/<name>` and `ConfigMap/<name>` for everything `podSpec` mounts or reads into its environment. */
export function configReferences(podSpec: Obj | undefined): Set<string> {
  const refs = new Set<string>();
  if (!podSpec) return refs;
  const secret = (name: unknown) => typeof name === 'string' && refs.add(`Secret/${name}`);
  const configMap = (name: unknown) => typeof name === 'string' && refs.add(`ConfigMap/${name}`);
  for (const v of (podSpec.volumes ?? []) as Obj[]) {
    secret(v.secret?.secretName);
    configMap(v.configMap?.name);
    for (const s of (v.projected?.sources ?? []) as Obj[]) {
      secret(s.secret?.name);
      configMap(s.configMap?.name);
    }
  }
  for (const c of [...((podSpec.initContainers ?? []) as Obj[]), ...((podSpec.containers ?? []) as Obj[])]) {
    for (const e of (c.env ?? []) as Obj[]) {
      secret(e.valueFrom?.secretKeyRef?.name);
      configMap(e.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of (c.envFrom ?? []) as Obj[]) {
      secret(e.secretRef?.name);
      configMap(e.configMapRef?.name);
    }
  }
  return refs;
}

/** The pod spec of a rendered workload (Deployment, Job), when it has one. */
export function templateSpec(obj: Obj): Obj | undefined {
  return obj.spec?.template?.spec;
}

/** Pods that still run (or are being stopped) and so may still read what they mount. */
export function podHoldsMounts(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
