// The registry's generated keys (`<name>-quay-registry-managed-secret-keys`): read, or created once,
// before anything else. A registry from an operator before 3.6.4 has them under a hashed name.
import { LABEL_REGISTRY } from '../api/types';
import { ensureManagedKeys, keysFromSecret, managedKeysSecretName } from '../keys';
import { secretStrings } from '../secrets';
import type { KubeObject } from '../synth';
import type { InputCache } from './inputs';
import { ApiError, KubeClient } from './kube-client';
import type { ReadCache } from './reconciler';
import type { RefusalReporter } from './refusals';
import { ownerReference, typeOf } from './resources';
import { retainsData } from './retention';

type Obj = Record<string, any>;

export interface ManagedKeysDeps {
  readonly client: KubeClient;
  readonly owned: ReadonlyMap<string, ReadCache>;
  readonly inputs: InputCache;
  readonly refusals: RefusalReporter;
}

/** The generated keys: read, or created once. Created before anything else so two reconciles cannot generate two sets. */
export async function readOrCreateManagedKeys(deps: ManagedKeysDeps, registry: KubeObject): Promise<{ values: Record<string, string>; created: boolean }> {
  const { client } = deps;
  const name = managedKeysSecretName(registry.metadata.name);
  // From the Secret cache, which keeps this Secret's data (inputs.ts).
  const existing = (await deps.inputs.get('Secret', registry.metadata.namespace as string, name)) as Obj | undefined;
  // Before 3.6.4 upstream hashed the name (`<name>-quay-registry-managed-secret-keys-<hash>`): a
  // registry taken over keeps those keys (its database password, DATABASE_SECRET_KEY).
  const legacy = existing ? undefined : await legacyManagedKeys(deps, registry, name);
  // Keys the Secret already has are kept; missing ones (an older backup) are generated and applied with the rest.
  const values = ensureManagedKeys(registry.metadata.name, keysFromSecret(existing ?? legacy ?? {}));
  if (existing) return { values, created: false };
  try {
    const created = await client.create(typeOf('Secret'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: registry.metadata.namespace,
        labels: { [LABEL_REGISTRY]: registry.metadata.name, 'quay-component': 'quay' },
        ...(retainsData(registry) ? {} : { ownerReferences: [ownerReference(registry)] }),
      },
      type: 'Opaque',
      stringData: values,
    });
    // Until the watch delivers it, the next reconcile must not take it for missing.
    deps.inputs.remember(created);
    return { values, created: true };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) {
      await deps.refusals.report(registry, { verb: 'create', kind: 'Secret', name }, err);
      throw err;
    }
    const raced = await client.get(typeOf('Secret'), registry.metadata.namespace, name);
    return { values: raced ? secretStrings(raced as Obj) : values, created: false };
  }
}

async function legacyManagedKeys(deps: ManagedKeysDeps, registry: KubeObject, name: string): Promise<Obj | undefined> {
  const candidates = (deps.owned.get('Secret')?.list(registry.metadata.namespace) ?? [])
    .filter((o) => o.metadata.labels?.[LABEL_REGISTRY] === registry.metadata.name && o.metadata.name.startsWith(`${name}-`))
    .map((o) => o.metadata.name)
    .sort();
  return candidates.length > 0 ? ((await deps.inputs.get('Secret', registry.metadata.namespace as string, candidates[0])) as Obj | undefined) : undefined;
}
