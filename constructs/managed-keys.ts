// `<registry>-quay-registry-managed-secret-keys`: the generated secrets, persisted so they are
// generated once. The seeds' backup and restore procedure exports and re-creates this Secret.
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { MANAGED_KEY_NAMES, managedKeysSecretName } from '../lib/keys';
import { ComponentProps } from './shared/component';
import { secretData } from './shared/hash';
import { metadataFor } from './shared/metadata';

export class ManagedKeys extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const keys = Object.fromEntries(MANAGED_KEY_NAMES.map((k) => [k, model.keys[k]]));
    new k8s.KubeSecret(this, 'secret', {
      metadata: metadataFor(model, managedKeysSecretName(model.name), { component: 'quay' }),
      type: 'Opaque',
      data: secretData(keys),
    });
  }
}
