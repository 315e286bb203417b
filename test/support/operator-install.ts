// Installs the operator's RBAC into the fake API server exactly as `quay-operator manifests` renders it
// (server-side applied, as `kubectl apply --server-side` would), and hands out a kubeconfig holding
// its ServiceAccount's token: controller tests then run with exactly the permissions users grant.
import { App } from 'cdk8s';
import type { KubeConfig } from '@kubernetes/client-node';
import { OPERATOR_NAME, OperatorInstall, OperatorInstallProps } from '../../constructs/operator-install';
import type { FakeApiServer } from './fake-apiserver';

type Obj = Record<string, any>;

/** Where the operator runs (default quay-operator), the one namespace it watches (all when undefined), and the rest of the chart's props. */
export type InstallOptions = Partial<OperatorInstallProps>;

/** The install manifests' objects, as `quay-operator manifests` prints them (with a test image unless given). */
export function installManifests(options: InstallOptions = {}): Obj[] {
  const chart = new OperatorInstall(new App(), 'install', { namespace: OPERATOR_NAME, image: 'quay.io/example/quay-operator:test', ...options });
  return chart.toJson() as Obj[];
}

/** Applies the manifests (the Deployment too; the fake runs no pods) and returns the operator's kubeconfig. */
export function installOperator(server: FakeApiServer, options: InstallOptions = {}): KubeConfig {
  const namespace = options.namespace ?? OPERATOR_NAME;
  if (options.watchNamespace && !server.get('v1', 'Namespace', undefined, options.watchNamespace)) server.createNamespace(options.watchNamespace);
  const objects = installManifests(options);
  // Namespaces and the CRD first, as kubectl orders them.
  const rank = (o: Obj) => (o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2);
  for (const obj of [...objects].sort((a, b) => rank(a) - rank(b))) server.apply(obj, { fieldManager: 'kubectl', force: true });
  return server.serviceAccountKubeConfig(namespace, OPERATOR_NAME);
}
