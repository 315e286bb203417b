// Field ownership, as the API server's field manager keeps it in metadata.managedFields: one entry
// per (manager, operation, subresource), each a set of field paths. Server-side apply merges an
// applied configuration into the live object, removes what its manager applied before and left
// out (unless someone else owns it), and refuses to change fields other managers own unless forced.
// Every other write (create, update, patch) gives its manager the fields it changed.
//
// The algorithm is upstream's (sigs.k8s.io/structured-merge-diff merge.Updater, v4): merge, then
// prune with "add back owned" and "add back dangling" items, then move ownership of what changed.
import { FieldSet, Path, pathString } from './fieldpath';
import { Schema, SchemaSet } from './schema';
import { compare, deepEqual, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet } from './typed';

type Obj = Record<string, any>;

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly subresource: string;
  readonly apiVersion: string;
  time?: string;
  set: FieldSet;
}

export type Managers = Map<string, ManagerEntry>;

export const BEFORE_FIRST_APPLY = 'before-first-apply';

export const managerKey = (manager: string, operation: Operation, subresource: string) => `${manager}\0${operation}\0${subresource}`;

/** Fields the API server never records as owned: the object's identity and system metadata. */
const STRIPPED = FieldSet.of(
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ['f:metadata', 'f:name'],
  ['f:metadata', 'f:namespace'],
  ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:selfLink'],
  ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:clusterName'],
  ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:managedFields'],
  ['f:metadata', 'f:resourceVersion'],
  ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:deletionGracePeriodSeconds'],
);

export function decodeManagers(obj: Obj | undefined): Managers {
  const out: Managers = new Map();
  for (const e of (obj?.metadata?.managedFields ?? []) as Obj[]) {
    const entry: ManagerEntry = {
      manager: e.manager ?? '',
      operation: e.operation,
      subresource: e.subresource ?? '',
      apiVersion: e.apiVersion,
      ...(e.time ? { time: e.time } : {}),
      set: FieldSet.fromFieldsV1(e.fieldsV1),
    };
    out.set(managerKey(entry.manager, entry.operation, entry.subresource), entry);
  }
  return out;
}

/** The managedFields list, in the API server's order (operation, time, manager, apiVersion, subresource). */
export function encodeManagers(managers: Managers): Obj[] | undefined {
  const entries = [...managers.values()].filter((e) => !e.set.empty());
  if (entries.length === 0) return undefined;
  entries.sort(
    (a, b) =>
      a.operation.localeCompare(b.operation) ||
      (a.time ?? '').localeCompare(b.time ?? '') ||
      a.manager.localeCompare(b.manager) ||
      a.apiVersion.localeCompare(b.apiVersion) ||
      a.subresource.localeCompare(b.subresource),
  );
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: e.set.toFieldsV1(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

export class ConflictError extends Error {
  constructor(readonly conflicts: { manager: string; path: Path }[]) {
    super(conflictMessage(conflicts));
  }
}

/** How a conflicting manager is named: Update entries with the version they wrote, and their subresource. */
export function managerLabel(e: ManagerEntry): string {
  return `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`;
}

function conflictMessage(conflicts: { manager: string; path: Path }[]): string {
  if (conflicts.length === 1) return `Apply failed with 1 conflict: conflict with ${conflicts[0].manager}: ${pathString(conflicts[0].path)}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), pathString(c.path)]);
  const parts = [...byManager].map(([m, paths]) => `conflicts with ${m}:\n${paths.map((p) => `- ${p}`).join('\n')}`);
  return `Apply failed with ${conflicts.length} conflicts: ${parts.join('\n')}`;
}

export interface FieldContext {
  readonly schemas: SchemaSet;
  /** The kind's schema (with ObjectMeta for metadata). */
  readonly schema: Schema;
  readonly apiVersion: string;
  readonly now: string;
}

interface Result {
  readonly obj: Obj;
  readonly managers: Managers;
  /** Whether the object (not just its managedFields) changed. */
  readonly changed: boolean;
}

/** Moves ownership of what changed between two objects away from every manager but `self` (forced) or fails on conflict. */
function moveOwnership(ctx: FieldContext, live: Obj | undefined, next: Obj, managers: Managers, self: string, force: boolean) {
  const c = compare(ctx.schemas, ctx.schema, live, next);
  const changed = c.modified.union(c.added);
  const conflicts: { manager: string; path: Path }[] = [];
  for (const [k, e] of managers) {
    if (k === self) continue;
    const hit = e.set.intersection(changed);
    if (!hit.empty()) for (const p of hit.paths()) conflicts.push({ manager: managerLabel(e), path: p });
  }
  if (!force && conflicts.length > 0) throw new ConflictError(conflicts.sort((a, b) => pathString(a.path).localeCompare(pathString(b.path))));
  for (const [k, e] of managers) {
    if (k === self) continue;
    e.set = e.set.difference(changed).difference(c.removed);
    if (e.set.empty()) managers.delete(k);
  }
  return c;
}

function cloneManagers(m: Managers): Managers {
  const out: Managers = new Map();
  for (const [k, e] of m) out.set(k, { ...e });
  return out;
}

/** Everything an object holds, owned by one Update entry (as if written by an update from nothing). */
function ownEverything(ctx: FieldContext, obj: Obj): FieldSet {
  const c = compare(ctx.schemas, ctx.schema, undefined, obj);
  return c.added.union(c.modified).difference(STRIPPED);
}

/**
 * Server-side apply of `config` (already typed) onto `live` (undefined: a create) by `manager`.
 * Returns the new object, before defaulting and validation, and the new managers.
 */
export function applyFields(ctx: FieldContext, live: Obj | undefined, config: Obj, managersIn: Managers, manager: string, subresource: string, force: boolean): Result {
  const { schemas, schema } = ctx;
  const managers = cloneManagers(managersIn);
  // An object nobody owns anything of: what it holds is attributed to `before-first-apply`, so
  // this apply cannot remove it (upstream's skip-non-applied manager).
  if (live && managers.size === 0) {
    const all = ownEverything(ctx, live);
    if (!all.empty()) {
      managers.set(managerKey(BEFORE_FIRST_APPLY, 'Update', ''), { manager: BEFORE_FIRST_APPLY, operation: 'Update', subresource: '', apiVersion: ctx.apiVersion, time: ctx.now, set: all });
    }
  }
  const self = managerKey(manager, 'Apply', subresource);
  const merged = merge(schemas, schema, live, config) as Obj;
  const last = managers.get(self)?.set;
  const applied = toFieldSet(schemas, schema, config);
  const previous = managers.get(self);
  managers.set(self, { manager, operation: 'Apply', subresource, apiVersion: ctx.apiVersion, ...(previous?.time ? { time: previous.time } : {}), set: applied });

  let result = merged;
  if (last && !last.empty()) {
    const named = (s: FieldSet) => ensureNamedFieldsAreMembers(schemas, schema, s);
    const lastNamed = named(last);
    let pruned = removeItems(schemas, schema, merged, lastNamed) as Obj;
    // Add back what anyone (this apply included) owns.
    let owned = new FieldSet();
    for (const e of managers.values()) owned = owned.union(e.set);
    pruned = removeItems(
      schemas,
      schema,
      merged,
      named(toFieldSet(schemas, schema, merged)).difference(named(toFieldSet(schemas, schema, pruned)).union(named(owned))),
    ) as Obj;
    // Add back what this manager never owned ("dangling"): only its own old fields may go.
    result = removeItems(schemas, schema, merged, named(toFieldSet(schemas, schema, merged)).difference(named(toFieldSet(schemas, schema, pruned))).intersection(lastNamed)) as Obj;
  }
  result ??= {};
  moveOwnership(ctx, live, result, managers, self, force);
  const changed = !deepEqual(live, result);
  const entry = managers.get(self)!;
  entry.set = entry.set.difference(STRIPPED);
  if (changed) entry.time = ctx.now;
  if (entry.set.empty()) managers.delete(self);
  return { obj: result, managers, changed };
}

/** A create, update or patch by `manager`: it owns what it changed, taken from everyone else. */
export function updateFields(ctx: FieldContext, live: Obj | undefined, next: Obj, managersIn: Managers, manager: string, subresource: string): Result {
  const managers = cloneManagers(managersIn);
  const self = managerKey(manager, 'Update', subresource);
  const previous = managers.get(self);
  managers.delete(self);
  const c = moveOwnership(ctx, live, next, managers, self, true);
  const mine = c.modified.union(c.added).difference(c.removed).difference(STRIPPED);
  const kept = previous ? previous.set.difference(c.removed).difference(c.modified.union(c.added)) : new FieldSet();
  const set = kept.union(mine);
  if (!set.empty()) {
    managers.set(self, {
      manager,
      operation: 'Update',
      subresource,
      apiVersion: ctx.apiVersion,
      ...(mine.empty() ? (previous?.time ? { time: previous.time } : {}) : { time: ctx.now }),
      set,
    });
  }
  return { obj: next, managers, changed: !deepEqual(live, next) };
}
