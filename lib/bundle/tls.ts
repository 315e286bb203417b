// Checks the user TLS pair of a config bundle (ssl.cert, ssl.key) before Quay is rolled out with it:
// Quay itself would only fail at startup, or serve a certificate browsers reject for the route host.
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { Problem, problem } from '../problems';
import { BUNDLE_KEYS, ConfigBundle, bundleText, nonEmpty } from './bundle';

export interface CertificateCheckInput {
  /** PEM; may be a chain, leaf first (only the leaf is checked). */
  cert: string;
  /** PEM private key of the leaf. */
  key: string;
  /** Hosts the certificate must cover, e.g. SERVER_HOSTNAME; a `:port` suffix is ignored. */
  hostnames: string[];
}

const CERT = BUNDLE_KEYS.sslCert;
const KEY = BUNDLE_KEYS.sslKey;

export function checkCertificate(input: CertificateCheckInput, now: Date = new Date()): Problem[] {
  const problems: Problem[] = [];
  let cert: X509Certificate | undefined;
  try {
    // Parses the first certificate of the PEM, which for a chain is the leaf.
    cert = new X509Certificate(input.cert);
  } catch (err) {
    problems.push(problem(CERT, `is not a valid PEM certificate: ${errorDetail(err)}`));
  }
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(input.key);
  } catch (err) {
    // OpenSSL's error text names the failing routine, never the key material.
    problems.push(problem(KEY, `is not a valid PEM private key: ${errorDetail(err)}`));
  }
  if (!cert) return problems; // the remaining checks all need the certificate

  if (key && !cert.checkPrivateKey(key)) problems.push(problem(KEY, `does not match the certificate in ${CERT}`));

  for (const host of input.hostnames.map(stripPort).filter((h) => h.length > 0)) {
    // checkHost never matches IP SANs, and checkIP throws on anything but an IP address.
    const covered = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    if (!covered) {
      problems.push(
        problem(CERT, `provided certificate pair not valid for host '${host}': the certificate covers ${coveredNames(cert)}`),
      );
    }
  }

  const validTo = new Date(cert.validTo);
  if (validTo.getTime() < now.getTime()) problems.push(problem(CERT, `expired on ${validTo.toISOString()}`));
  // Not yet valid: every client would refuse it until then, as they refuse an expired one.
  const validFrom = new Date(cert.validFrom);
  if (validFrom.getTime() > now.getTime()) problems.push(problem(CERT, `is not valid before ${validFrom.toISOString()}`));
  return problems;
}

/** [] when the bundle brings no certificate (the operator then makes its own); both files or neither. */
export function checkBundleCertificate(bundle: ConfigBundle, hostnames: string[], now: Date = new Date()): Problem[] {
  const hasCert = nonEmpty(bundle, CERT);
  const hasKey = nonEmpty(bundle, KEY);
  if (!hasCert && !hasKey) return [];
  if (!hasKey) return [problem(KEY, `is missing; it is required when ${CERT} is given`)];
  if (!hasCert) return [problem(CERT, `is missing; it is required when ${KEY} is given`)];
  return checkCertificate({ cert: bundleText(bundle, CERT) ?? '', key: bundleText(bundle, KEY) ?? '', hostnames }, now);
}

/** `host:443` -> `host`, `[::1]:443` -> `::1`; a bare IPv6 address (several colons) is left alone. */
function stripPort(hostname: string): string {
  const h = hostname.trim();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(h);
  if (bracketed) return bracketed[1];
  return h.split(':').length === 2 ? h.slice(0, h.indexOf(':')) : h;
}

/** The SAN DNS names and IPs, or the subject CN when there are no SANs, for the admin to compare. */
function coveredNames(cert: X509Certificate): string {
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((e) => e.startsWith('DNS:') || e.startsWith('IP Address:'))
    .map((e) => e.slice(e.indexOf(':') + 1));
  if (sans.length > 0) return sans.join(', ');
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  return cn ? cn : 'no host names';
}

// Not `instanceof Error`: node:crypto errors may come from another realm (e.g. under Jest).
function errorDetail(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
