// The managed bucket: an ObjectBucketClaim the provisioner (NooBaa / ODF) binds, answering with a
// Secret and a ConfigMap named like the claim that hold the credentials Quay's storage config needs.
import { Construct } from 'constructs';
import { secretStrings } from '../lib/secrets';
import { ObjectBucketClaim } from '../imports/objectbucket.io';
import type { ObjectBucket } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { metadataFor } from './shared/metadata';

/**
 * `<name>-quay-datastore`: the claim, and the provisioner's Secret and ConfigMap. Takes the registry
 * name, since the controller reads those before it can build the model.
 */
export function datastoreName(registryName: string): string {
  return `${registryName}-${SHARED_NAMES.datastore}`;
}

/** NooBaa's bucket class (OpenShift Data Foundation), as upstream; another provisioner's with the storageClassName override. */
export const DEFAULT_BUCKET_STORAGE_CLASS = 'openshift-storage.noobaa.io';

export class ObjectStorage extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    new ObjectBucketClaim(this, 'claim', {
      metadata: metadataFor(model, datastoreName(model.name), {
        component: SHARED_NAMES.datastore,
        overrides: model.components.objectstorage.overrides,
      }),
      spec: {
        // A prefix: the provisioner appends a UUID. Kept short as upstream has it, since bucket
        // names are limited to 63 characters and the registry name can be long.
        generateBucketName: SHARED_NAMES.datastore,
        storageClassName: model.components.objectstorage.overrides?.storageClassName ?? DEFAULT_BUCKET_STORAGE_CLASS,
        additionalConfig: { bucketclass: 'noobaa-default-bucket-class' },
      },
    });
  }
}

function stringMap(obj: Record<string, unknown> | undefined, field: string): Record<string, unknown> {
  const value = obj?.[field];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The bucket's credentials from the provisioner's Secret (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY) and ConfigMap (BUCKET_NAME, BUCKET_HOST, BUCKET_PORT), or undefined while
 * either is missing or incomplete (the claim is not bound yet).
 */
export function objectBucketFromProvisioner(
  secret: Record<string, unknown> | undefined,
  configMap: Record<string, unknown> | undefined,
): ObjectBucket | undefined {
  if (!secret || !configMap) return undefined;
  const secretData = secretStrings(secret);
  const configData = stringMap(configMap, 'data');
  const accessKey = nonEmptyString(secretData.AWS_ACCESS_KEY_ID);
  const secretKey = nonEmptyString(secretData.AWS_SECRET_ACCESS_KEY);
  const bucketName = nonEmptyString(configData.BUCKET_NAME);
  let host = nonEmptyString(configData.BUCKET_HOST);
  if (!accessKey || !secretKey || !bucketName || !host) return undefined;
  // NooBaa reports the in-cluster Service as `s3.<ns>.svc`; Quay's pods may not resolve that short
  // form (search domains vary), so use the full name as upstream does.
  if (host.endsWith('.svc')) host = `${host}.cluster.local`;
  const portText = nonEmptyString(configData.BUCKET_PORT);
  const port = portText !== undefined && /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
  return { host, ...(port !== undefined && port > 0 && port <= 65535 ? { port } : {}), bucketName, accessKey, secretKey };
}
