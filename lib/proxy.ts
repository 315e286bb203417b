// The egress proxy the operator passes on to Quay, Clair and the mirror workers.
import type { ProxySettings } from './model';

/** The egress proxy from HTTP_PROXY, HTTPS_PROXY and NO_PROXY (as OLM sets them on the operator); none when neither proxy is set. */
export function proxyFromEnv(env: Readonly<Record<string, string | undefined>>): { proxy?: ProxySettings } {
  const proxy: ProxySettings = {
    ...(env.HTTP_PROXY ? { httpProxy: env.HTTP_PROXY } : {}),
    ...(env.HTTPS_PROXY ? { httpsProxy: env.HTTPS_PROXY } : {}),
    ...(env.NO_PROXY ? { noProxy: env.NO_PROXY } : {}),
  };
  return proxy.httpProxy || proxy.httpsProxy ? { proxy } : {};
}
