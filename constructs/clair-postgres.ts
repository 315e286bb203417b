// Clair's managed database: PostgreSQL 15 (sclorg), credentials CLAIR_DB_* from the managed keys.
// Clair's connstring (lib/config/clair-config.ts) reads the same keys.
import { Construct } from 'constructs';
import type { ManagedKeys } from '../lib/keys';
import { ComponentProps, SHARED_NAMES } from './shared/component';
import { DatabaseCredentials, ManagedPostgres } from './shared/database';

export const CLAIR_POSTGRES_COMPONENT = 'clair-postgres';

export const CLAIR_POSTGRES_NAMES = {
  workload: SHARED_NAMES.clairPostgres,
  secret: 'clairpostgres-config-secret',
  confSample: 'clair-postgres-conf-sample',
  // Upstream's name, so existing data is kept.
  volume: 'clair-postgres-15',
} as const;

export function clairDatabaseCredentials(k: ManagedKeys): DatabaseCredentials {
  return { user: k.CLAIR_DB_USER, password: k.CLAIR_DB_PASSWORD, database: k.CLAIR_DB_NAME, rootPassword: k.CLAIR_DB_ROOT_PW };
}

export class ClairPostgres extends Construct {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model } = props;
    // The default login is the image's `postgres` superuser; ManagedPostgres sets that one up with
    // POSTGRESQL_ADMIN_PASSWORD only (see there).
    new ManagedPostgres(this, 'database', {
      model,
      kind: 'clairpostgres',
      component: CLAIR_POSTGRES_COMPONENT,
      names: CLAIR_POSTGRES_NAMES,
      containerName: 'clair-postgres',
      image: model.environment.images.clairpostgres,
      ...(model.keysKnown ? { credentials: clairDatabaseCredentials(model.keys) } : {}),
      user: model.keys.CLAIR_DB_USER,
    });
  }
}
