// The whole registry: one chart per QuayRegistry, one construct per managed component.
// `quay` is always managed; it also carries the config editor the seeds describe.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { LABEL_REGISTRY } from '../lib/api/types';
import type { RegistryModel } from '../lib/model';
import { Backups } from './backup';
import { Clair } from './clair';
import { ClairPostgres } from './clair-postgres';
import { ConfigEditor } from './config-editor';
import { Exposure } from './exposure';
import { HorizontalPodAutoscalers } from './hpa';
import { Mirror } from './mirror';
import { NetworkPolicies } from './network-policies';
import { Monitoring } from './monitoring';
import { ObjectStorage } from './object-storage';
import { Postgres } from './postgres';
import { Quay } from './quay';
import { Redis } from './redis';
import type { ComponentProps } from './shared/component';

export interface RegistryChartProps {
  readonly model: RegistryModel;
}

type ComponentConstruct = new (scope: Construct, id: string, props: ComponentProps) => Construct;

/** Component kind → the construct that renders it when managed. tls renders through quay and route. */
const COMPONENTS: readonly [keyof RegistryModel['components'], ComponentConstruct][] = [
  ['postgres', Postgres],
  ['clairpostgres', ClairPostgres],
  ['redis', Redis],
  ['objectstorage', ObjectStorage],
  ['clair', Clair],
  ['mirror', Mirror],
  ['horizontalpodautoscaler', HorizontalPodAutoscalers],
  ['route', Exposure],
  ['monitoring', Monitoring],
];

export class RegistryChart extends Chart {
  constructor(scope: Construct, id: string, props: RegistryChartProps) {
    const { model } = props;
    // Names are given explicitly everywhere: no path-derived hashes.
    super(scope, id, { namespace: model.namespace, disableResourceNameHashes: true, labels: { [LABEL_REGISTRY]: model.name } });
    new Quay(this, 'quay', { model });
    new ConfigEditor(this, 'config-editor', { model });
    // The managed backends' NetworkPolicies (spec.networkPolicies), for those rendered below.
    new NetworkPolicies(this, 'network-policies', { model });
    for (const [kind, Component] of COMPONENTS) {
      if (model.components[kind].managed) new Component(this, kind, { model });
    }
    // spec.backup: CronJobs dumping the managed databases, and their volume.
    new Backups(this, 'backup', { model });
  }
}
