// spec.backup.destination.objectStorage: what the backup, inspect and restore pods need to reach the
// bucket. One Python program (the Quay image's python3, standard library only: urllib, hmac,
// hashlib, xml; requests signed with AWS Signature Version 4 here, so no boto3 is assumed) with three
// commands: `upload` (a staged dump and its metadata, then the retention, then the metadata as the
// termination message, as the PVC script does), `inspect` (the report the restore's first Job
// writes) and `download` (a dump and its metadata into the restore pod's emptyDir). Credentials
// reach the pods as environment variables from secretKeyRef/configMapKeyRef: the managed bucket's
// ObjectBucketClaim Secret and ConfigMap, or, for an unmanaged location, the Secret
// `<registry>-quay-backup-storage` the controller renders from config.yaml (backupStorageSecrets).
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { LABEL_REGISTRY } from '../lib/api/types';
import { backupObjectPrefix } from '../lib/api/backup';
import { BackupObjectStore, resolveBackupObjectStore } from '../lib/config/backup-storage';
import type { RegistryModel } from '../lib/model';
import type { KubeObject } from '../lib/synth';
import { datastoreName } from './object-storage';
import { secretData } from './shared/hash';
import { nameFor } from './shared/metadata';
import { proxyEnv, quayConfigVolumes } from './quay-volumes';

/** `<registry>-quay-backup-storage`: an unmanaged location's endpoint, bucket, region and keys. */
export const BACKUP_STORAGE_SECRET_SUFFIX = 'quay-backup-storage';
/** Its keys: the variables the program reads (as the ObjectBucketClaim's Secret names its keys). */
export const BACKUP_STORAGE_KEYS = ['S3_ENDPOINT', 'S3_REGION', 'BUCKET_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
/** Where the certificates Quay trusts are mounted in the pods that reach the bucket. */
export const CA_DIR = '/certs';

export function backupStorageSecretName(model: Pick<RegistryModel, 'name'>): string {
  return nameFor(model as RegistryModel, BACKUP_STORAGE_SECRET_SUFFIX);
}

/** The bucket spec.backup writes to, when object storage (the model checked it resolves). */
export function backupObjectStore(model: RegistryModel): BackupObjectStore | undefined {
  return resolveBackupObjectStore(model.registry.spec.backup, model.components, model.bundle).store;
}

/** `<prefix>/<namespace>/<registry>/`, when object storage. */
export function backupPrefix(model: RegistryModel): string | undefined {
  return backupObjectPrefix(model.registry.spec.backup, model.namespace, model.name);
}

/** Where the dumps are, for messages: never a bucket's name or endpoint (config.yaml's values stay in Secrets). */
export function objectStoreDescription(model: RegistryModel): string | undefined {
  const store = backupObjectStore(model);
  const prefix = backupPrefix(model);
  if (!store || !prefix) return undefined;
  const bucket = store.kind === 'managed' ? `the managed bucket (ObjectBucketClaim ${datastoreName(model.name)})` : `the bucket of location \`${store.location}\` (config.yaml's DISTRIBUTED_STORAGE_CONFIG)`;
  return `${bucket} under ${prefix}`;
}

/**
 * The pod's bucket: referenced, never copied into the pod spec. Managed: the provisioner's Secret and
 * ConfigMap `<registry>-quay-datastore` (a pod waits in CreateContainerConfigError until the claim is
 * bound, as Quay's do). Unmanaged: `<registry>-quay-backup-storage`.
 */
export function objectStorageEnv(model: RegistryModel): k8s.EnvVar[] {
  const store = backupObjectStore(model);
  const common: k8s.EnvVar[] = [{ name: 'OBJECT_PREFIX', value: backupPrefix(model)! }, { name: 'CA_DIR', value: CA_DIR }, ...proxyEnv(model)];
  if (store?.kind === 'managed') {
    const datastore = datastoreName(model.name);
    const cm = (name: string, key: string, optional = false): k8s.EnvVar => ({ name, valueFrom: { configMapKeyRef: { name: datastore, key, ...(optional ? { optional: true } : {}) } } });
    const secret = (name: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: datastore, key: name } } });
    return [...common, cm('BUCKET_HOST', 'BUCKET_HOST'), cm('BUCKET_PORT', 'BUCKET_PORT', true), cm('BUCKET_NAME', 'BUCKET_NAME'), secret('AWS_ACCESS_KEY_ID'), secret('AWS_SECRET_ACCESS_KEY')];
  }
  const secret = backupStorageSecretName(model);
  return [...common, ...BACKUP_STORAGE_KEYS.map((key): k8s.EnvVar => ({ name: key, valueFrom: { secretKeyRef: { name: secret, key } } }))];
}

/**
 * The certificates Quay's pods trust (the bundle's extra_ca_cert_*, Quay's own, and on OpenShift the
 * service CA, which signs NooBaa's in-cluster endpoint, and the cluster's trusted bundle): the same
 * projected volume, so a bucket behind a private CA is reached as Quay reaches it.
 */
export function caVolume(model: RegistryModel): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  const volume = quayConfigVolumes(model).find((v) => v.name === 'extra-ca-certs')!;
  return { volume, mount: { name: volume.name, mountPath: CA_DIR, readOnly: true } };
}

/**
 * The Secret of an unmanaged location, with what config.yaml says (Quay's own credentials, copied:
 * pods cannot read one location out of the bundle's config.yaml). Applied by the controller with the
 * other credentials (lib/synth.ts renderCredentials); `synth` renders none.
 */
export function backupStorageSecrets(model: RegistryModel): KubeObject[] {
  const store = backupObjectStore(model);
  if (store?.kind !== 'location') return [];
  const values: Record<(typeof BACKUP_STORAGE_KEYS)[number], string> = {
    S3_ENDPOINT: store.endpoint,
    S3_REGION: store.region,
    BUCKET_NAME: store.bucket,
    AWS_ACCESS_KEY_ID: store.accessKey,
    AWS_SECRET_ACCESS_KEY: store.secretKey,
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: backupStorageSecretName(model), namespace: model.namespace, labels: { 'quay-component': 'backup', [LABEL_REGISTRY]: model.name } },
      type: 'Opaque',
      data: secretData(values),
    } as KubeObject,
  ];
}

/**
 * `python3 -c OBJECT_STORAGE_PY upload|inspect|download`. Path-style requests
 * (https://endpoint/bucket/key: what RadosGW, NooBaa, MinIO, IBM COS, GCS and AWS all take), signed
 * with SigV4 (x-amz-content-sha256 is the payload's SHA-256, so the store checks every byte);
 * ListObjects version 1 with markers (GCS's XML API has no version 2, as Quay's own GCS driver
 * notes); dumps larger than PART_SIZE (32 MiB) in a multipart upload, aborted on failure; a 5xx or
 * a connection error retried twice (after RETRY_SECONDS, 2 s, then twice that), an untrusted
 * certificate not; an AWS bucket in another region than configured followed once
 * (x-amz-bucket-region). Its output names keys under OBJECT_PREFIX and S3 error codes, not the
 * endpoint, bucket or credentials (a failed pod's log tail becomes a status message).
 */
export const OBJECT_STORAGE_PY = String.raw`import datetime, hashlib, hmac, json, os, re, ssl, sys, time
import urllib.error, urllib.parse, urllib.request
import xml.etree.ElementTree as ET

ENV = os.environ
# Lines in order with stderr's in the log (its tail is a failed pod's termination message).
if hasattr(sys.stdout, 'reconfigure'):
    sys.stdout.reconfigure(line_buffering=True)
PART_SIZE = int(ENV.get('PART_SIZE') or 32 * 1024 * 1024)
RETRY_SECONDS = float(ENV.get('RETRY_SECONDS') or 2)


class S3Error(Exception):
    pass


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def endpoint():
    url = ENV.get('S3_ENDPOINT', '').strip()
    if not url:
        # The managed bucket: the provisioner's host and port, TLS as Quay's managed config has it.
        host = ENV.get('BUCKET_HOST', '').strip()
        if not host:
            fail('the bucket has no endpoint yet (BUCKET_HOST is empty)')
        if host.endswith('.svc'):
            host += '.cluster.local'
        url = host if '://' in host else 'https://' + host
        if not re.search(r':[0-9]+$', url):
            url += ':' + (ENV.get('BUCKET_PORT', '').strip() or '443')
    return url.rstrip('/')


def q(text):
    return urllib.parse.quote(str(text), safe='-_.~')


def tag(element):
    return element.tag.rsplit('}', 1)[-1]


class Bucket:
    def __init__(self):
        self.endpoint = endpoint()
        self.bucket = ENV['BUCKET_NAME'].strip()
        self.region = ENV.get('S3_REGION', '').strip() or 'us-east-1'
        self.access = ENV['AWS_ACCESS_KEY_ID'].strip()
        self.secret = ENV['AWS_SECRET_ACCESS_KEY'].strip()
        context = ssl.create_default_context()
        cadir = ENV.get('CA_DIR', '')
        if cadir and os.path.isdir(cadir):
            for name in sorted(os.listdir(cadir)):
                path = os.path.join(cadir, name)
                if name.startswith('.') or not os.path.isfile(path):
                    continue
                try:
                    context.load_verify_locations(cafile=path)
                except (ssl.SSLError, ValueError, OSError):
                    print('ignoring %s: not a PEM certificate' % name)
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))

    def signed(self, method, key, query, body, headers):
        url = urllib.parse.urlsplit(self.endpoint)
        host = url.netloc
        if (url.scheme, host.rsplit(':', 1)[-1]) in (('https', '443'), ('http', '80')):
            host = host.rsplit(':', 1)[0]
        path = urllib.parse.quote('/' + self.bucket + ('/' + key if key else ''), safe='/-_.~')
        query = '&'.join('%s=%s' % (q(k), q(v)) for k, v in sorted(query.items()))
        payload = hashlib.sha256(body).hexdigest()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        h = dict((k.lower(), str(v)) for k, v in headers.items())
        h.update({'host': host, 'x-amz-date': stamp, 'x-amz-content-sha256': payload})
        names = ';'.join(sorted(h))
        canonical = '\n'.join([method, path, query, ''.join('%s:%s\n' % (k, ' '.join(h[k].split())) for k in sorted(h)), names, payload])
        scope = '%s/%s/s3/aws4_request' % (stamp[:8], self.region)
        to_sign = '\n'.join(['AWS4-HMAC-SHA256', stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ('AWS4' + self.secret).encode()
        for part in (stamp[:8], self.region, 's3', 'aws4_request'):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        h['authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
            self.access, scope, names, hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest())
        return urllib.request.Request(self.endpoint + path + ('?' + query if query else ''), data=body if method in ('PUT', 'POST') else None, headers=h, method=method)

    def call(self, method, key='', query=None, body=b'', headers=None, ok=(200,)):
        """The response (open: the caller reads it) when its status is in ok; else S3Error."""
        what = '%s %s' % (method, key or '(list)')
        for attempt in range(3):
            try:
                try:
                    response = self.opener.open(self.signed(method, key, query or {}, body, headers or {}), timeout=300)
                except urllib.error.HTTPError as e:
                    response = e
                status = response.status if hasattr(response, 'status') else response.code
                if status in ok:
                    return response
                detail = response.read(65536) if method != 'HEAD' else b''
                region = response.headers.get('x-amz-bucket-region')
                if region and region != self.region and attempt == 0:
                    # An AWS bucket of another region: signed for it, at its endpoint if the default one.
                    print('the bucket is in region %s, not %s: signing for it' % (region, self.region))
                    if re.match(r'^https://s3([.-][a-z0-9-]+)?\.amazonaws\.com$', self.endpoint):
                        self.endpoint = 'https://s3.%s.amazonaws.com' % region
                    self.region = region
                    continue
                code = re.search(rb'<Code>([^<]*)</Code>', detail)
                message = re.search(rb'<Message>([^<]*)</Message>', detail)
                error = '%s: HTTP %d%s%s' % (what, status, ' ' + code.group(1).decode() if code else '', ': ' + message.group(1).decode() if message else '')
                if status < 500 or attempt == 2:
                    raise S3Error(error)
                print('%s; trying again' % error)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, 'reason', e)
                # A certificate that is not trusted will not be the next time either.
                if isinstance(reason, ssl.SSLCertVerificationError) or attempt == 2:
                    raise S3Error('%s: %s' % (what, reason))
                print('%s: %s; trying again' % (what, reason))
            time.sleep(RETRY_SECONDS * 2 ** attempt)
        raise S3Error(what)

    def put(self, key, body, content_type):
        self.call('PUT', key, body=body, headers={'content-type': content_type}).read()

    def upload(self, key, path, size):
        if size <= PART_SIZE:
            with open(path, 'rb') as f:
                return self.put(key, f.read(), 'application/octet-stream')
        started = self.call('POST', key, {'uploads': ''}, headers={'content-type': 'application/octet-stream'}).read()
        ids = [e.text for e in ET.fromstring(started).iter() if tag(e) == 'UploadId' and e.text]
        if not ids:
            raise S3Error('POST %s?uploads: no UploadId in the answer' % key)
        upload = ids[0]
        try:
            parts = []
            with open(path, 'rb') as f:
                while True:
                    chunk = f.read(PART_SIZE)
                    if not chunk:
                        break
                    n = len(parts) + 1
                    response = self.call('PUT', key, {'partNumber': n, 'uploadId': upload}, body=chunk)
                    response.read()
                    parts.append('<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' % (n, response.headers.get('ETag', '').replace('&', '&amp;').replace('<', '&lt;')))
            done = ('<CompleteMultipartUpload>%s</CompleteMultipartUpload>' % ''.join(parts)).encode()
            answer = self.call('POST', key, {'uploadId': upload}, body=done, headers={'content-type': 'application/xml'}).read()
            # S3 may answer 200 with an error in the body.
            if b'<Error>' in answer:
                code = re.search(rb'<Code>([^<]*)</Code>', answer)
                raise S3Error('completing the upload of %s: %s' % (key, code.group(1).decode() if code else 'error'))
            print('uploaded %s in %d parts' % (key, len(parts)))
        except BaseException:
            try:
                self.call('DELETE', key, {'uploadId': upload}, ok=(200, 204, 404)).read()
            except S3Error as e:
                print('could not abort the upload: %s' % e)
            raise

    def keys(self, prefix):
        """Every key under prefix, with ListObjects (version 1) and markers."""
        marker = ''
        while True:
            query = {'prefix': prefix}
            if marker:
                query['marker'] = marker
            root = ET.fromstring(self.call('GET', '', query).read())
            listed = [c.text for e in root if tag(e) == 'Contents' for c in e if tag(c) == 'Key']
            for key in listed:
                yield key
            truncated = any(tag(e) == 'IsTruncated' and (e.text or '').strip() == 'true' for e in root)
            if not truncated or not listed:
                return
            following = [e.text for e in root if tag(e) == 'NextMarker' and e.text]
            marker = following[0] if following else listed[-1]

    def size(self, key):
        response = self.call('HEAD', key, ok=(200, 404))
        response.read()
        status = response.status if hasattr(response, 'status') else response.code
        return int(response.headers.get('Content-Length', '-1')) if status == 200 else None

    def get(self, key):
        response = self.call('GET', key, ok=(200, 404))
        status = response.status if hasattr(response, 'status') else response.code
        body = response.read()
        return body if status == 200 else None

    def download(self, key, path):
        response = self.call('GET', key, ok=(200, 404))
        status = response.status if hasattr(response, 'status') else response.code
        if status == 404:
            response.read()
            return False
        expected = int(response.headers.get('Content-Length', '-1'))
        written = 0
        with open(path + '.partial', 'wb') as f:
            while True:
                chunk = response.read(1024 * 1024)
                if not chunk:
                    break
                f.write(chunk)
                written += len(chunk)
        if expected >= 0 and written != expected:
            raise S3Error('GET %s: %d bytes received of %d' % (key, written, expected))
        os.rename(path + '.partial', path)
        return True


def dumps_of(names, pattern):
    return [n for n in names if '/' not in n and re.match(pattern, n)]


def upload(bucket, prefix):
    staging = ENV['BACKUP_DIR']
    dumps = [f for f in os.listdir(staging) if not f.startswith('.') and f.endswith('.dump')]
    if len(dumps) != 1:
        fail('expected one dump in %s, found %d' % (staging, len(dumps)))
    dump = dumps[0]
    with open(os.path.join(staging, dump + '.json'), 'rb') as f:
        metadata = f.read()
    size = os.path.getsize(os.path.join(staging, dump))
    print('uploading %s (%d bytes) to %s' % (dump, size, prefix))
    # The dump first: a metadata object names a complete dump (an object appears whole or not at all).
    bucket.upload(prefix + dump, os.path.join(staging, dump), size)
    bucket.put(prefix + dump + '.json', metadata, 'application/json')
    mine = prefix + ENV['REGISTRY_NAME'] + '-' + ENV['COMPONENT'] + '-'
    pattern = '^' + re.escape(ENV['REGISTRY_NAME'] + '-' + ENV['COMPONENT'] + '-') + r'[0-9]{8}T[0-9]{6}Z-.+[.]dump$'
    names = sorted(dumps_of([k[len(prefix):] for k in bucket.keys(mine)], pattern), reverse=True)
    for old in names[int(ENV['RETENTION']):]:
        if old == dump:
            continue
        print('retention: removing %s' % old)
        for key in (prefix + old, prefix + old + '.json'):
            bucket.call('DELETE', key, ok=(200, 204, 404)).read()
    with open(ENV['TERMINATION_LOG'], 'wb') as f:
        f.write(metadata)
    print('done: %s (%d bytes)' % (dump, size))


def inspect(bucket, prefix):
    dump = ENV['DUMP']
    size = bucket.size(prefix + dump)
    metadata = bucket.get(prefix + dump + '.json') if size is not None else None
    if size is not None and metadata is not None:
        report = '{"found":true,"actualSize":%d,"metadata":%s}\n' % (size, metadata.decode('utf-8').strip())
        print('found %s' % dump)
    else:
        pattern = '^' + re.escape(ENV['REGISTRY_NAME']) + r'-(postgres|clairpostgres)-([0-9]{8}T[0-9]{6}Z)-.+[.]dump$'
        names = dumps_of([k[len(prefix):] for k in bucket.keys(prefix + ENV['REGISTRY_NAME'] + '-')], pattern)
        names.sort(key=lambda n: (re.match(pattern, n).group(2), n), reverse=True)
        report = json.dumps({'found': False, 'available': names[:20]}, separators=(',', ':')) + '\n'
        print('%s not found' % dump)
    with open(ENV['TERMINATION_LOG'], 'w') as f:
        f.write(report)


def download(bucket, prefix):
    dump = ENV['DUMP']
    for name in (dump, dump + '.json'):
        if not bucket.download(prefix + name, os.path.join(ENV['BACKUP_DIR'], name)):
            fail('%s is not in the bucket under %s' % (name, prefix))
    print('downloaded %s (%d bytes)' % (dump, os.path.getsize(os.path.join(ENV['BACKUP_DIR'], dump))))


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ''
    if command not in ('upload', 'inspect', 'download'):
        fail('usage: upload | inspect | download')
    try:
        {'upload': upload, 'inspect': inspect, 'download': download}[command](Bucket(), ENV['OBJECT_PREFIX'])
    except S3Error as e:
        fail('object storage: %s' % e)


main()
`;
