// Quay's managed database: PostgreSQL 13 (sclorg), its credentials from DB_URI in the managed keys,
// and the pg_trgm extension Quay's migrations need.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-27/lib/imports/k8s';
import { ManagedKeys, managedDatabaseName, managedKeysSecretName, parseDatabaseUri } from '../lib/keys';
import type { RegistryModel } from '../lib/model';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { DatabaseCredentials, ManagedPostgres } from './shared/database';
import { metadataFor, nameFor } from './shared/metadata';

export const POSTGRES_COMPONENT = 'postgres';

export const POSTGRES_NAMES = {
  workload: SHARED_NAMES.quayDatabase,
  secret: 'postgres-config-secret',
  confSample: 'postgres-conf-sample',
  // Upstream's name: users' backup and restore procedures refer to it.
  volume: 'quay-postgres-13',
  bootstrap: 'postgres-bootstrap',
} as const;

/**
 * Sourced by the image's run-postgresql on every start, after initdb and user creation, while a
 * temporary server listens on the Unix socket only; so psql connects through the socket as the
 * `postgres` superuser (upstream connected over TCP through the Service, which nothing answers
 * then). `set -e` is in force: a failure stops the start instead of leaving Quay without pg_trgm.
 */
export const CREATE_EXTENSIONS_SH = [
  '# Quay needs pg_trgm; idempotent, so it runs on every start.',
  'echo "creating the pg_trgm extension if it does not exist"',
  'psql -v ON_ERROR_STOP=1 --username=postgres --dbname="$POSTGRESQL_DATABASE" --command="CREATE EXTENSION IF NOT EXISTS pg_trgm;"',
  '',
].join('\n');

/** Quay's database login: DB_URI's user, password and database, and DB_ROOT_PW. */
export function quayDatabaseCredentials(registry: string, keys: ManagedKeys): DatabaseCredentials {
  const uri = parseDatabaseUri(keys.DB_URI);
  if (!uri) throw new Error(`DB_URI in Secret ${managedKeysSecretName(registry)} is not a postgresql:// URI`);
  return { user: uri.user, password: uri.password, database: uri.database, rootPassword: keys.DB_ROOT_PW };
}

/** The login of Quay's database: DB_URI's user when the keys are known, else the name generated keys give it. */
export function quayDatabaseUser(model: RegistryModel): string {
  return model.keysKnown ? quayDatabaseCredentials(model.name, model.keys).user : managedDatabaseName(model.name);
}

export class Postgres extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    const overrides = model.components.postgres.overrides;
    // A stable name: a hashed one would restart the database for nothing (PROJQUAY-6578); the
    // Deployment rolls on a change of the script through its credentials-hash annotation.
    const bootstrapName = nameFor(model, POSTGRES_NAMES.bootstrap);
    const startScripts = { 'create-extensions.sh': CREATE_EXTENSIONS_SH };
    const credentials = model.keysKnown ? quayDatabaseCredentials(model.name, model.keys) : undefined;

    new k8s.KubeConfigMap(this, 'bootstrap', {
      metadata: metadataFor(model, bootstrapName, { component: POSTGRES_COMPONENT, overrides }),
      data: startScripts,
    });

    new ManagedPostgres(this, 'database', {
      model,
      kind: 'postgres',
      component: POSTGRES_COMPONENT,
      names: POSTGRES_NAMES,
      containerName: 'postgres',
      image: model.environment.images.postgres,
      ...(credentials ? { credentials } : {}),
      // The user in DB_URI; generated keys name it after the database.
      user: quayDatabaseUser(model),
      startScripts: { configMapName: bootstrapName, files: startScripts },
    });
  }
}
