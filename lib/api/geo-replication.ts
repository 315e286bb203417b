// spec.migrations: whether this registry migrates Quay's database. Geo-replicated sites share one
// external database, and the seeds' epic asks that exactly one of them migrates it: that site keeps
// the default (run: true); the others say run: false, render no migration Job and wait, serving as
// before (read-only during an upgrade), until a Job that reads the shared database's alembic
// revision finds it at this Quay version's (constructs/quay-schema-check.ts).
import { Problem, problem } from '../problems';
import type { JSONSchema } from './schema';

export interface Migrations {
  /** false: never migrate; wait until another site has. Default true. */
  readonly run?: boolean;
}

export const migrationsSchema: JSONSchema = {
  type: 'object',
  description:
    'Whether this registry migrates Quay\'s database to the operator\'s Quay version. run: false is for geo-replication, where sites share one external database and exactly one site migrates it: this registry then renders no migration Job; a Job <name>-quay-schema-check reads the shared database\'s alembic revision, and Quay waits (condition ComponentsCreated=False, reason AwaitingMigration; the previous version keeps serving read-only during an upgrade) until it is this Quay version\'s. Needs the postgres component unmanaged.',
  properties: {
    run: { type: 'boolean', description: 'true (the default): this registry runs the migration Job. false: another site migrates the shared database; this one waits for it.' },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks spec.migrations, naming the field; the parsed value when it holds. */
export function parseMigrations(raw: unknown, problems: Problem[]): Migrations | undefined {
  const path = 'spec.migrations';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with run (true or false)'));
    return undefined;
  }
  const before = problems.length;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'run') problems.push(problem(`${path}.${k}`, 'unknown field; migrations has only run'));
    else if (typeof v !== 'boolean') problems.push(problem(`${path}.run`, `${JSON.stringify(v)} is not true or false`));
  }
  return problems.length > before ? undefined : typeof raw.run === 'boolean' ? { run: raw.run } : {};
}

/** Whether the registry migrates its database itself (the default), or waits for another site. */
export function runsMigrations(spec: { readonly migrations?: Migrations }): boolean {
  return spec.migrations?.run !== false;
}
