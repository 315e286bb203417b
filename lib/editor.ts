// The config editor's contract between the renderer (its Deployment and credentials) and the
// operator (the /reconfigure endpoint it commits to): names, keys and the endpoint's address.
import { Problem, problem } from './problems';

/** The editor's basic-auth user (seeds: "typically quayconfig"). */
export const CONFIG_EDITOR_USERNAME = 'quayconfig';

/** Keys of `<registry>-quay-config-editor-credentials`. */
export const EDITOR_CREDENTIAL_KEYS = { username: 'username', password: 'password', reconfigureToken: 'reconfigure-token' } as const;

/**
 * `<name>-quay-config-editor-credentials` (username and password), reported in
 * status.configEditorCredentialsSecret. A stable name, since the render does not know the password
 * (upstream hashed its content into the name).
 */
export function configEditorCredentialsName(registry: string): string {
  return `${registry}-quay-config-editor-credentials`;
}

/** Where the operator listens for the editor's commits (upstream's port and path). */
export const RECONFIGURE_PORT = 7071;
export const RECONFIGURE_PATH = '/reconfigure';
/** The operator's Service in front of that port (`quay-operator manifests`). */
export const OPERATOR_SERVICE = 'quay-operator';
export const DEFAULT_OPERATOR_NAMESPACE = 'quay-operator';

export function defaultOperatorEndpoint(operatorNamespace: string = DEFAULT_OPERATOR_NAMESPACE): string {
  return `http://${OPERATOR_SERVICE}.${operatorNamespace}.svc:${RECONFIGURE_PORT}`;
}

/**
 * The endpoint editors commit to: QUAY_OPERATOR_ENDPOINT, else the operator's Service in
 * POD_NAMESPACE (in the cluster) or in `quay-operator` (what `manifests` installs by default).
 */
export function operatorEndpointFromEnv(env: Readonly<Record<string, string | undefined>>): { operatorEndpoint?: string; problems: Problem[] } {
  const explicit = env.QUAY_OPERATOR_ENDPOINT;
  if (!explicit) return { operatorEndpoint: defaultOperatorEndpoint(env.POD_NAMESPACE || undefined), problems: [] };
  let url: URL;
  try {
    url = new URL(explicit);
  } catch {
    return { problems: [problem('QUAY_OPERATOR_ENDPOINT', `is not a URL, got \`${explicit}\``)] };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problems: [problem('QUAY_OPERATOR_ENDPOINT', `must be an http or https URL, got \`${explicit}\``)] };
  // The credentials are added in the pod from a Secret; a URL holding some would put them in the render.
  if (url.username || url.password) return { problems: [problem('QUAY_OPERATOR_ENDPOINT', 'must not hold credentials (the editor adds its token from a Secret)')] };
  if (url.pathname !== '/' || url.search || url.hash) return { problems: [problem('QUAY_OPERATOR_ENDPOINT', `must be scheme://host[:port] only, got \`${explicit}\``)] };
  return { operatorEndpoint: `${url.protocol}//${url.host}`, problems: [] };
}
