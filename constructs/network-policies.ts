// Network isolation of the managed backends: one ingress NetworkPolicy per managed database, Redis
// and Clair, admitting only the registry's pods that connect to it, on its one port. Pods are named
// by the labels their constructs put on them (selectorLabels: quay-component and the registry), so
// another registry in the namespace is refused too. quay-app and the config editor get no policy:
// users, the router and Prometheus (quay-app's metrics port) reach them as before. The kubelet's
// probes come from the pod's own node, which NetworkPolicies never block. spec.networkPolicies
// enabled: false renders none (and the controller prunes those it applied).
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { BackupComponent, backupComponents } from '../lib/api/backup';
import type { Overrides } from '../lib/api/types';
import type { RegistryModel } from '../lib/model';
import { globalClairEndpoint } from '../lib/config/quay-config';
import { backupComponentLabel } from './backup';
import { CLAIR_COMPONENT, CLAIR_HTTP_PORT } from './clair';
import { CLAIR_POSTGRES_COMPONENT } from './clair-postgres';
import { MIRROR_COMPONENT } from './mirror';
import { POSTGRES_COMPONENT } from './postgres';
import { QUAY_APP_COMPONENT, QUAY_UPGRADE_COMPONENT } from './quay';
import { REDIS_COMPONENT, REDIS_PORT } from './redis';
import type { ComponentProps } from './shared/component';
import { SHARED_NAMES } from './shared/component';
import { POSTGRES_PORT } from './shared/database';
import { metadataFor, nameFor, selectorLabels } from './shared/metadata';

/**
 * On unless the registry says `spec.networkPolicies.enabled: false` (README: why on by default
 * everywhere), where networking.k8s.io/v1 is served: the `ingress` capability is that API group.
 */
export function networkPoliciesEnabled(model: RegistryModel): boolean {
  return model.registry.spec.networkPolicies?.enabled !== false && model.environment.capabilities.ingress;
}

export interface IngressAllowance {
  /** The policy's name: the protected workload's (its Service and Deployment). */
  readonly name: string;
  /** The protected pods' quay-component label. */
  readonly component: string;
  /** The one TCP port they accept connections on. */
  readonly port: number;
  /** quay-component labels of this registry's pods that may connect; `any`: every source (still on the one port). */
  readonly from: readonly string[] | 'any';
  /** The protected component's overrides: their labels and annotations go on the policy too. */
  readonly overrides?: Overrides;
}

/**
 * Egress is never restricted (policyTypes: Ingress only), so the backup, inspect and restore pods of
 * spec.backup.destination.objectStorage reach the bucket (NooBaa's Service, or an S3 endpoint outside
 * the cluster) as Quay's pods do: no policy to add for them. Their pg_dump and pg_restore containers
 * keep the labels below, so the database's policy admits them as with a claim.
 *
 * The pods spec.backup runs against a managed database: its scheduled pg_dump (when spec.backup
 * backs that database up) and a restore's pg_restore Job (asked for by annotation, at any time).
 * Labels as constructs/backup.ts and constructs/restore.ts (restoreComponentLabel) put them; the
 * restore's is spelled here because restore.ts loads lib/synth, which loads this file.
 */
function backupClients(model: RegistryModel, kind: BackupComponent): string[] {
  const backup = model.registry.spec.backup;
  return [...(backup && backupComponents(backup).includes(kind) ? [backupComponentLabel(kind)] : []), `${kind}-restore`];
}

/** Who may connect to which managed backend, for this registry (the policies below, as data). */
export function ingressAllowances(model: RegistryModel): IngressAllowance[] {
  const c = model.components;
  // Quay's pods: quay-app, and mirror's workers when managed (they run the same image and config).
  const quay = [QUAY_APP_COMPONENT, ...(c.mirror.managed ? [MIRROR_COMPONENT] : [])];
  const out: IngressAllowance[] = [];
  if (c.postgres.managed) {
    // The migration Job connects too. The PostgreSQL upgrade Job does not: it runs the new server
    // itself and reads from `<db>-old` (its own policy, constructs/postgres-upgrade.ts).
    out.push({ name: nameFor(model, SHARED_NAMES.quayDatabase), component: POSTGRES_COMPONENT, port: POSTGRES_PORT, from: [...quay, QUAY_UPGRADE_COMPONENT, ...backupClients(model, 'postgres')], overrides: c.postgres.overrides });
  }
  if (c.clairpostgres.managed) {
    // And the updaters import Job (constructs/clair-import.ts's CLAIR_IMPORT_COMPONENT, spelled here:
    // that file loads lib/synth, which loads this one).
    out.push({ name: nameFor(model, SHARED_NAMES.clairPostgres), component: CLAIR_POSTGRES_COMPONENT, port: POSTGRES_PORT, from: [CLAIR_COMPONENT, 'clair-import-updaters', ...backupClients(model, 'clairpostgres')], overrides: c.clairpostgres.overrides });
  }
  if (c.redis.managed) {
    out.push({ name: nameFor(model, SHARED_NAMES.redis), component: REDIS_COMPONENT, port: REDIS_PORT, from: quay, overrides: c.redis.overrides });
  }
  if (c.clair.managed) {
    // Quay's security worker and API call Clair; mirror's repomirror mode runs no security worker.
    // Behind a global Clair endpoint (geo-replication) Quay's calls come through the load balancer
    // and the router, from any site: any source, on Clair's API port (which needs Quay's PSK).
    const from = globalClairEndpoint(model) ? 'any' : [QUAY_APP_COMPONENT];
    out.push({ name: nameFor(model, SHARED_NAMES.clairApp), component: CLAIR_COMPONENT, port: CLAIR_HTTP_PORT, from, overrides: c.clair.overrides });
  }
  return out;
}

/** The NetworkPolicy an allowance stands for: ingress only (egress is left as it is), TCP on its port. */
export function allowIngress(scope: Construct, id: string, model: RegistryModel, a: IngressAllowance): k8s.KubeNetworkPolicy {
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: metadataFor(model, a.name, { component: a.component, ...(a.overrides ? { overrides: a.overrides } : {}) }),
    spec: {
      podSelector: { matchLabels: selectorLabels(model, a.component) },
      // Explicit, as the API server would default them: a re-apply then changes nothing.
      policyTypes: ['Ingress'],
      ingress: [
        {
          // No `from`: every source.
          ...(a.from === 'any' ? {} : { from: a.from.map((component) => ({ podSelector: { matchLabels: selectorLabels(model, component) } })) }),
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(a.port) }],
        },
      ],
    },
  });
}

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    if (!networkPoliciesEnabled(model)) return;
    for (const a of ingressAllowances(model)) allowIngress(this, a.component, model, a);
  }
}
