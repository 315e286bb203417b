// The only objects that hold generated values: the managed keys Secret
// (`<registry>-quay-registry-managed-secret-keys`, generated once, backed up and restored as the
// seeds describe) and the Secrets derived from it that workloads read by stable names: each managed
// database's credentials, Clair's PSK drop-in and the config editor's login. `quay-operator keys` prints them (for
// Sealed Secrets, SOPS or External Secrets); the controller applies the same ones. The registry's
// render (RegistryChart) only references them.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import * as yaml from 'js-yaml';
import { LABEL_REGISTRY } from '../lib/api/types';
import { CLAIR_AUTH_KEY, clairAuthDropIn, clairAuthSecretName, clairConfigSecretName } from '../lib/config/clair-config';
import { CLAIR_COMPONENT } from './clair';
import { MANAGED_KEY_NAMES, ManagedKeys, managedKeysSecretName, reconfigureToken } from '../lib/keys';
import { CLAIR_POSTGRES_COMPONENT, CLAIR_POSTGRES_NAMES, clairDatabaseCredentials } from './clair-postgres';
import { CONFIG_EDITOR_COMPONENT } from './config-editor';
import { CONFIG_EDITOR_USERNAME, EDITOR_CREDENTIAL_KEYS, configEditorCredentialsName } from '../lib/editor';
import { POSTGRES_COMPONENT, POSTGRES_NAMES, quayDatabaseCredentials } from './postgres';
import { databaseSecretFiles } from './shared/database';
import { secretData } from './shared/hash';

export interface CredentialsProps {
  readonly name: string;
  readonly namespace: string;
  readonly keys: ManagedKeys;
  /** Which derived Secrets: the managed databases (default: both). */
  readonly postgres?: boolean;
  readonly clairpostgres?: boolean;
  /** Clair's PSK drop-in (default: yes). */
  readonly clair?: boolean;
  /** Clair's whole config.yaml for clairctl (`<name>-clair-config-secret`); it depends on the bundle, so only the controller renders it. */
  readonly clairConfigYaml?: string;
}

export class Credentials extends Chart {
  constructor(scope: Construct, id: string, props: CredentialsProps) {
    super(scope, id, { namespace: props.namespace, disableResourceNameHashes: true });
    const { name, keys } = props;
    const secret = (cid: string, secretName: string, component: string, files: Record<string, string>) =>
      new k8s.KubeSecret(this, cid, {
        metadata: { name: secretName, namespace: props.namespace, labels: { 'quay-component': component, [LABEL_REGISTRY]: name } },
        type: 'Opaque',
        data: secretData(files),
      });
    secret('managed-keys', managedKeysSecretName(name), 'quay', Object.fromEntries(MANAGED_KEY_NAMES.map((k) => [k, keys[k]])));
    if (props.postgres ?? true) secret('postgres', `${name}-${POSTGRES_NAMES.secret}`, POSTGRES_COMPONENT, databaseSecretFiles(quayDatabaseCredentials(name, keys)));
    if (props.clairpostgres ?? true) secret('clairpostgres', `${name}-${CLAIR_POSTGRES_NAMES.secret}`, CLAIR_POSTGRES_COMPONENT, databaseSecretFiles(clairDatabaseCredentials(keys)));
    if (props.clair ?? true) {
      secret('clair-auth', clairAuthSecretName(name), CLAIR_COMPONENT, { [CLAIR_AUTH_KEY]: yaml.dump(clairAuthDropIn(keys.SECURITY_SCANNER_V4_PSK), { sortKeys: true, lineWidth: -1 }) });
    }
    if (props.clairConfigYaml !== undefined) secret('clair-config', clairConfigSecretName(name), CLAIR_COMPONENT, { 'config.yaml': props.clairConfigYaml });
    secret('config-editor', configEditorCredentialsName(name), CONFIG_EDITOR_COMPONENT, {
      [EDITOR_CREDENTIAL_KEYS.username]: CONFIG_EDITOR_USERNAME,
      [EDITOR_CREDENTIAL_KEYS.password]: keys.CONFIG_EDITOR_PW,
      [EDITOR_CREDENTIAL_KEYS.reconfigureToken]: reconfigureToken(keys.CONFIG_EDITOR_PW, props.namespace, name),
    });
  }
}
