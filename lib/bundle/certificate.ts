// Where the certificate Quay serves comes from: ssl.cert/ssl.key in the config bundle, or a
// kubernetes.io/tls Secret (tls.crt/tls.key) named by spec.tlsSecret, as cert-manager issues them.
// Either way the pods read it by reference; the render only names the Secret and its keys.
import { Problem, problem } from '../problems';
import { BUNDLE_KEYS, ConfigBundle, bundleFromSecret, hasCertificate, nonEmpty } from './bundle';

export interface CertificateSource {
  /** The Secret holding the pair. */
  readonly secret: string;
  readonly certKey: string;
  readonly keyKey: string;
  /** The pair, PEM: checked, hashed (a renewal rolls Quay), never rendered. */
  readonly cert: Buffer;
  readonly key: Buffer;
}

export const TLS_SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key' } as const;

/** The pair in the config bundle Secret, when it has both files. */
export function bundleCertificate(bundleSecret: string | undefined, bundle: ConfigBundle): CertificateSource | undefined {
  if (!bundleSecret || !hasCertificate(bundle)) return undefined;
  return { secret: bundleSecret, certKey: BUNDLE_KEYS.sslCert, keyKey: BUNDLE_KEYS.sslKey, cert: bundle.files.get(BUNDLE_KEYS.sslCert)!, key: bundle.files.get(BUNDLE_KEYS.sslKey)! };
}

/** The pair of a kubernetes.io/tls Secret; problems name spec.tlsSecret and the key. */
export function tlsSecretCertificate(name: string, secret: Record<string, unknown>): { source?: CertificateSource; problems: Problem[] } {
  const at = (key: string) => `spec.tlsSecret: Secret ${name}${key ? `: ${key}` : ''}`;
  const parsed = bundleFromSecret(secret);
  if (!parsed.bundle) return { problems: parsed.problems.map((p) => ({ ...p, path: at(p.path) })) };
  const files = parsed.bundle;
  const missing = [TLS_SECRET_KEYS.cert, TLS_SECRET_KEYS.key].filter((k) => !nonEmpty(files, k));
  if (missing.length > 0) return { problems: [problem(at(''), `has no ${missing.join(' and ')}: name a kubernetes.io/tls Secret (as cert-manager writes them)`)] };
  return {
    source: { secret: name, certKey: TLS_SECRET_KEYS.cert, keyKey: TLS_SECRET_KEYS.key, cert: files.files.get(TLS_SECRET_KEYS.cert)!, key: files.files.get(TLS_SECRET_KEYS.key)! },
    problems: [],
  };
}
