// spec.backup.destination.objectStorage: which bucket the backup pods write to, with the credentials
// the registry already has. Managed objectstorage: the ObjectBucketClaim's bucket, read by the pods
// from its Secret and ConfigMap (nothing copied). Unmanaged: a location of config.yaml's
// DISTRIBUTED_STORAGE_CONFIG whose driver speaks the S3 API (Quay's own drivers for them are boto3
// S3 clients); its endpoint, bucket, region and keys are resolved here, as Quay's drivers resolve
// them, for the Secret `<registry>-quay-backup-storage` (constructs/backup.ts). Other drivers are
// refused with the reason. Pure: lib/model.ts reports the problems, the constructs take the result.
import type { ResolvedComponents } from '../api/components';
import type { Backup } from '../api/backup';
import type { ConfigBundle } from '../bundle/bundle';
import { Problem, problem } from '../problems';

/** How a driver's parameters map to an S3 endpoint (Quay's storage/cloud.py). */
type S3Family = 's3' | 'radosgw' | 'gcs';

/**
 * The S3-speaking drivers. S3Storage and its CDN subclasses (CloudFront, Cloudflare, Akamai: S3Storage
 * parameters plus the CDN's) take s3_bucket, s3_access_key, s3_secret_key, host/port or endpoint_url,
 * s3_region; RadosGWStorage, RHOCSStorage (NooBaa) and IBMCloudStorage take hostname, is_secure, port,
 * bucket_name, access_key, secret_key; GoogleCloudStorage is Google's S3-interoperable XML API
 * (https://storage.googleapis.com, HMAC keys: access_key, secret_key, bucket_name).
 */
export const S3_DRIVERS: Readonly<Record<string, S3Family>> = {
  S3Storage: 's3',
  CloudFrontedS3Storage: 's3',
  CloudFlareStorage: 's3',
  AkamaiS3Storage: 's3',
  RadosGWStorage: 'radosgw',
  RHOCSStorage: 'radosgw',
  IBMCloudStorage: 'radosgw',
  GoogleCloudStorage: 'gcs',
};

/**
 * Why the others are refused. Messages name a location by its key and a driver by a description, never
 * by config.yaml's values (status and Events hold no value of the bundle).
 */
const NOT_S3: Readonly<Record<string, string>> = {
  LocalStorage: 'local storage: a directory inside Quay\'s own pods, which no other pod can reach',
  AzureStorage: 'Azure Blob Storage, which has its own API, not the S3 API the backup pods speak',
  SwiftStorage: 'OpenStack Swift, which has its own API (its S3 middleware, if any, takes other credentials than these), not the S3 API the backup pods speak',
  STSS3Storage: 'S3 through AWS STS: its keys are exchanged for temporary ones (sts_role_arn), which the backup pods do not do',
  MultiCDNStorage: 'a multi-CDN router, which only routes between other locations: name one of those',
};
const S3_KINDS = 'Amazon S3 (also behind CloudFront, Cloudflare or Akamai), Ceph RadosGW, NooBaa (OpenShift Data Foundation), IBM Cloud Object Storage, Google Cloud Storage';

export const GCS_ENDPOINT = 'https://storage.googleapis.com';
const DEFAULT_REGION = 'us-east-1';

/** What the backup pods need of an unmanaged location: the Secret's content. */
export interface S3Location {
  readonly location: string;
  readonly driver: string;
  /** scheme://host[:port], no path. */
  readonly endpoint: string;
  readonly bucket: string;
  /** The SigV4 signing region. */
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export type BackupObjectStore = { readonly kind: 'managed' } | ({ readonly kind: 'location' } & S3Location);

const LOCATION_PATH = 'spec.backup.destination.objectStorage.location';
const PATH = 'spec.backup.destination.objectStorage';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function truthy(v: unknown, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return !/^(false|no|off|0)$/i.test(v.trim());
  return v === undefined || v === null ? fallback : Boolean(v);
}

/** Quay's _build_endpoint_url: a scheme unless given, the port unless the host has one. */
export function buildEndpoint(host: string, port: string | undefined, secure: boolean): string {
  let url = /^https?:\/\//.test(host) ? host : `${secure ? 'https' : 'http'}://${host}`;
  url = url.replace(/\/+$/, '');
  if (port && !/:\d+$/.test(url)) url = `${url}:${port}`;
  return url;
}

/** The AWS region in an AWS endpoint's host name (s3.us-east-2.amazonaws.com, s3-eu-west-1.amazonaws.com). */
function awsRegionOf(endpoint: string): string | undefined {
  return /(?:^|[./])s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com/.exec(endpoint)?.[1];
}

type Resolved = { location?: S3Location; why?: string };

/** The location's endpoint, bucket, region and keys, or why the backup pods cannot use it. */
export function s3LocationOf(location: string, entry: unknown): Resolved {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string') return { why: `location \`${location}\` is not a [driver, parameters] pair` };
  const driver = entry[0];
  const params = isObject(entry[1]) ? entry[1] : {};
  const family = S3_DRIVERS[driver];
  if (!family) {
    const reason = NOT_S3[driver] ?? 'of a driver not known to speak the S3 API';
    return { why: `location \`${location}\` is ${reason}; the backups need an S3-compatible location: ${S3_KINDS}` };
  }
  const need = (field: string): string | undefined => text(params[field]);
  const names = family === 's3' ? { bucket: 's3_bucket', access: 's3_access_key', secret: 's3_secret_key' } : { bucket: 'bucket_name', access: 'access_key', secret: 'secret_key' };
  const bucket = need(names.bucket);
  const accessKey = need(names.access);
  const secretKey = need(names.secret);
  const missing = [bucket ? undefined : names.bucket, accessKey ? undefined : names.access, secretKey ? undefined : names.secret].filter((f): f is string => f !== undefined);
  if (missing.length > 0) {
    const identity = family === 's3' && !bucket ? '' : ' (without keys Quay uses its pods\' own cloud identity, which the backup pods do not have)';
    return { why: `location \`${location}\` has no ${missing.join(', ')}${identity}` };
  }
  let endpoint: string;
  let region = DEFAULT_REGION;
  if (family === 'gcs') {
    endpoint = GCS_ENDPOINT;
    // Google's interoperability: any region is accepted in the signature; `auto` is the documented one.
    region = 'auto';
  } else if (family === 'radosgw') {
    const hostname = need('hostname');
    if (!hostname) return { why: `location \`${location}\` has no hostname` };
    endpoint = buildEndpoint(hostname, need('port'), truthy(params.is_secure, true));
  } else {
    const explicit = need('endpoint_url');
    const host = need('host');
    region = need('s3_region') ?? DEFAULT_REGION;
    if (explicit) endpoint = explicit.replace(/\/+$/, '');
    else if (host) endpoint = buildEndpoint(host, need('port'), true);
    else endpoint = region === DEFAULT_REGION ? 'https://s3.amazonaws.com' : `https://s3.${region}.amazonaws.com`;
    if (!need('s3_region')) region = awsRegionOf(endpoint) ?? DEFAULT_REGION;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { why: `location \`${location}\`: its endpoint is not a URL` };
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
    return { why: `location \`${location}\`: its endpoint must be http(s)://host[:port], with no path, query or credentials` };
  }
  return { location: { location, driver, endpoint: `${url.protocol}//${url.host}`, bucket: bucket!, region, accessKey: accessKey!, secretKey: secretKey! } };
}

/**
 * The bucket spec.backup.destination.objectStorage writes to, or the problems that say why none.
 * Nothing (no store, no problem) when the destination is not object storage, or when unmanaged
 * objectstorage has no DISTRIBUTED_STORAGE_CONFIG at all (checkComponentConfig reports that).
 */
export function resolveBackupObjectStore(backup: Backup | undefined, components: Pick<ResolvedComponents, 'objectstorage'>, bundle: Pick<ConfigBundle, 'config'>): { store?: BackupObjectStore; problems: Problem[] } {
  const dest = backup?.destination?.objectStorage;
  if (!dest) return { problems: [] };
  if (components.objectstorage.managed) {
    if (dest.location !== undefined) {
      return { problems: [problem(LOCATION_PATH, 'objectstorage is managed: dumps go to its bucket (the ObjectBucketClaim\'s); a location of DISTRIBUTED_STORAGE_CONFIG applies only with objectstorage unmanaged. Remove location')] };
    }
    return { store: { kind: 'managed' }, problems: [] };
  }
  const config = bundle.config.DISTRIBUTED_STORAGE_CONFIG;
  // Absent: checkComponentConfig says unmanaged objectstorage needs it.
  if (config === undefined || config === null || config === '') return { problems: [] };
  if (!isObject(config) || Object.keys(config).length === 0) {
    return { problems: [problem(PATH, 'config.yaml\'s DISTRIBUTED_STORAGE_CONFIG holds no location (a mapping of names to [driver, parameters]) to back up to')] };
  }
  if (dest.location !== undefined) {
    if (!(dest.location in config)) {
      return { problems: [problem(LOCATION_PATH, `\`${dest.location}\` is not a location of config.yaml's DISTRIBUTED_STORAGE_CONFIG (it has ${Object.keys(config).map((k) => `\`${k}\``).join(', ')})`)] };
    }
    const r = s3LocationOf(dest.location, config[dest.location]);
    return r.location ? { store: { kind: 'location', ...r.location }, problems: [] } : { problems: [problem(LOCATION_PATH, r.why!)] };
  }
  // The first S3-compatible one: the default locations, then the preferred, then config.yaml's order.
  const listed = (key: string) => (Array.isArray(bundle.config[key]) ? (bundle.config[key] as unknown[]).filter((l): l is string => typeof l === 'string' && l in config) : []);
  const order = [...new Set([...listed('DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS'), ...listed('DISTRIBUTED_STORAGE_PREFERENCE'), ...Object.keys(config)])];
  const why: string[] = [];
  for (const name of order) {
    const r = s3LocationOf(name, config[name]);
    if (r.location) return { store: { kind: 'location', ...r.location }, problems: [] };
    why.push(r.why!);
  }
  return { problems: [problem(PATH, `no location of config.yaml's DISTRIBUTED_STORAGE_CONFIG can take the backups: ${why.join('; ')}`)] };
}
