// The environment the backup CronJob gives its script (constructs/backup.ts), for the tests that run
// the script itself on a temporary directory.
export const BACKUP_ENV = {
  REGISTRY_NAME: 'example-registry',
  REGISTRY_NAMESPACE: 'quay-enterprise',
  REGISTRY_UID: 'uid-1',
  QUAY_VERSION: 'v3.17.3',
  COMPONENT: 'postgres',
  RETENTION: '2',
  IMAGE: 'quay.io/sclorg/postgresql-13-c9s:latest',
  KEYS_DIGEST: 'abc',
  PGHOST: 'example-registry-quay-database',
  PGDATABASE: 'example-registry-quay-database',
};
