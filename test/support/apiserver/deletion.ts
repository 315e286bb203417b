// DELETE, and the controllers that finish what a delete starts: the garbage collector (dependents
// of a deleted owner, Foreground and Orphan propagation), the namespace controller (a Terminating
// namespace is emptied, then removed) and the PVC protection controller (no pods here, so a claim's
// protection finalizer is released at once). The real ones are asynchronous; here they run right
// after the write that needs them, when `gc` is on (fixture replays turn it off, as the recorded
// server had no controllers running).
import { StatusError, uidPreconditionFailed, staleResourceVersion } from './errors';
import { updateFields } from './managed-fields';
import { SCHEMAS, ServedType } from './resources';
import { Entry, Store } from './store';
import { clone, isObject } from './typed';
import { bare } from './writes';

type Obj = Record<string, any>;

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
const GC_MANAGER = 'generic-garbage-collector';

/** Resources whose DELETE answers the deleted object rather than a Status (their registries say so). */
const RETURNS_DELETED_OBJECT = new Set(['storageclasses', 'persistentvolumes', 'nodes']);

export interface DeleteOptions {
  readonly propagationPolicy?: Propagation;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

export class Deleter {
  /**
   * Whether the controllers may have work: set by a delete and by a write of an object being
   * deleted or naming an owner not stored. Other writes cannot give them any, and a scan of every
   * object after every write made the benchmark's 1000 registries quadratic.
   */
  private pending = true;

  constructor(
    private readonly store: Store,
    private readonly gc: boolean,
  ) {}

  /** After a write: note whether `obj` (what the write answered) gives the controllers work. */
  noteWrite(obj: Obj | undefined): void {
    const m = obj?.metadata;
    if (!m || m.deletionTimestamp || ((m.ownerReferences ?? []) as Obj[]).some((r) => !this.store.byUid.has(r.uid))) this.pending = true;
  }

  /** The default propagation: batch/v1 Jobs orphan their pods unless asked otherwise (upstream's legacy default). */
  static defaultPropagation(t: ServedType): Propagation {
    return t.apiVersion === 'batch/v1' && t.kind === 'Job' ? 'Orphan' : 'Background';
  }

  delete(t: ServedType, namespace: string | undefined, name: string, o: DeleteOptions): { obj: Obj; code: number } {
    this.pending = true;
    const e = this.store.mustGet(t, namespace, name);
    if (o.preconditions?.uid && o.preconditions.uid !== e.obj.metadata.uid) throw uidPreconditionFailed(t, name, o.preconditions.uid, e.obj.metadata.uid);
    if (o.preconditions?.resourceVersion && o.preconditions.resourceVersion !== e.obj.metadata.resourceVersion) throw staleResourceVersion(t, name);
    const propagation = o.propagationPolicy ?? Deleter.defaultPropagation(t);
    const finalizers = [...((e.obj.metadata.finalizers ?? []) as string[])];
    if (propagation === 'Foreground' && !finalizers.includes(FOREGROUND)) finalizers.push(FOREGROUND);
    if (propagation === 'Orphan' && !finalizers.includes(ORPHAN)) finalizers.push(ORPHAN);
    const graceful = t.kind === 'Namespace' && t.group === '';
    if (finalizers.length === 0 && !graceful) {
      if (o.dryRun) return { obj: RETURNS_DELETED_OBJECT.has(t.plural) ? e.obj : success(t, e.obj), code: 200 };
      const removed = this.store.remove(e);
      this.runControllers();
      return { obj: RETURNS_DELETED_OBJECT.has(t.plural) ? removed : success(t, e.obj), code: 200 };
    }
    // Kept until its finalizers are gone: marked, and answered with the object itself.
    if (e.obj.metadata.deletionTimestamp && deepSame(finalizers, e.obj.metadata.finalizers ?? [])) return { obj: e.obj, code: 200 };
    const next = clone(e.obj);
    next.metadata.finalizers = finalizers.length > 0 ? finalizers : undefined;
    if (next.metadata.finalizers === undefined) delete next.metadata.finalizers;
    next.metadata.deletionTimestamp ??= this.store.now();
    if (!graceful) next.metadata.deletionGracePeriodSeconds ??= 0;
    if (typeof next.metadata.generation === 'number') next.metadata.generation++;
    if (graceful) next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    if (o.dryRun) return { obj: next, code: 200 };
    const answer = this.store.replace(e, next, e.managers);
    this.runControllers();
    return { obj: answer, code: 200 };
  }

  /** What the cluster's controllers do about deletions, until nothing more changes. */
  runControllers(): void {
    if (!this.gc || !this.pending) return;
    this.pending = false;
    for (let progress = true, rounds = 0; progress && rounds < 1000; rounds++) {
      progress = false;
      for (const e of [...this.store.all()]) {
        if (this.store.byUid.get(e.obj.metadata.uid) !== e) continue; // removed this round
        if (this.collectOrphan(e)) progress = true;
        else if (e.obj.metadata.deletionTimestamp && this.finishDeletion(e)) progress = true;
      }
    }
  }

  private dependents(uid: string): Entry[] {
    return [...this.store.all()].filter((d) => ((d.obj.metadata.ownerReferences ?? []) as Obj[]).some((r) => r.uid === uid));
  }

  /** A dependent whose owners are all gone is deleted; one that still has an owner loses the dangling reference. */
  private collectOrphan(e: Entry): boolean {
    const refs = (e.obj.metadata.ownerReferences ?? []) as Obj[];
    if (refs.length === 0 || e.obj.metadata.deletionTimestamp) return false;
    const alive = refs.filter((r) => this.store.byUid.has(r.uid));
    if (alive.length === refs.length) return false;
    if (alive.length > 0) {
      this.writeByController(e, { ...e.obj, metadata: { ...e.obj.metadata, ownerReferences: alive } });
      return true;
    }
    this.delete(e.type, e.obj.metadata.namespace, e.obj.metadata.name, { propagationPolicy: 'Background' });
    return true;
  }

  private finishDeletion(e: Entry): boolean {
    const uid = e.obj.metadata.uid;
    let finalizers = (e.obj.metadata.finalizers ?? []) as string[];
    if (finalizers.includes(ORPHAN)) {
      for (const d of this.dependents(uid)) {
        const refs = ((d.obj.metadata.ownerReferences ?? []) as Obj[]).filter((r) => r.uid !== uid);
        this.writeByController(d, { ...d.obj, metadata: { ...d.obj.metadata, ownerReferences: refs.length > 0 ? refs : undefined } });
      }
      finalizers = finalizers.filter((f) => f !== ORPHAN);
    }
    if (finalizers.includes(FOREGROUND)) {
      // Dependents go first; the owner waits until none is left.
      const dependents = this.dependents(uid);
      if (dependents.length > 0) {
        const pending = dependents.filter((d) => !d.obj.metadata.deletionTimestamp);
        for (const d of pending) this.delete(d.type, d.obj.metadata.namespace, d.obj.metadata.name, { propagationPolicy: 'Foreground' });
        return pending.length > 0;
      }
      finalizers = finalizers.filter((f) => f !== FOREGROUND);
    }
    // No pods in this fake: nothing keeps a claim's protection.
    finalizers = finalizers.filter((f) => f !== 'kubernetes.io/pvc-protection');
    if (e.type.kind === 'Namespace' && e.type.group === '') return this.finishNamespace(e, finalizers);
    if (finalizers.length === (e.obj.metadata.finalizers ?? []).length) return false;
    if (finalizers.length === 0) {
      this.store.remove(e);
      return true;
    }
    this.writeByController(e, { ...e.obj, metadata: { ...e.obj.metadata, finalizers } });
    return true;
  }

  /** The namespace controller: delete everything in it, then drop the `kubernetes` finalizer and the namespace. */
  private finishNamespace(e: Entry, finalizers: string[]): boolean {
    const name = e.obj.metadata.name;
    const contents = [...this.store.all()].filter((x) => x.type.namespaced && x.obj.metadata.namespace === name);
    for (const x of contents) if (!x.obj.metadata.deletionTimestamp) this.delete(x.type, name, x.obj.metadata.name, { propagationPolicy: 'Background' });
    const left = [...this.store.all()].filter((x) => x.type.namespaced && x.obj.metadata.namespace === name);
    if (left.length > 0) return contents.some((x) => !x.obj.metadata.deletionTimestamp);
    if (finalizers.length > 0) return false;
    this.store.remove(e);
    return true;
  }

  private writeByController(e: Entry, candidate: Obj): void {
    const next = clone(candidate);
    if (next.metadata.ownerReferences === undefined) delete next.metadata.ownerReferences;
    const ctx = { schemas: SCHEMAS, schema: e.type.schema, apiVersion: e.type.apiVersion, now: this.store.now() };
    const { managers } = updateFields(ctx, bare(e.obj), bare(next)!, e.managers, GC_MANAGER, '');
    this.store.replace(e, next, managers);
  }
}

function deepSame(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** DELETE's answer when the object is gone: a Status naming it, with the plural resource as kind. */
function success(t: ServedType, obj: Obj): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, ...(t.group ? { group: t.group } : {}), kind: t.plural, uid: obj.metadata.uid },
  };
}

export function parseDeleteOptions(text: string, query: URLSearchParams): DeleteOptions {
  let body: Obj = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new StatusError(400, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the body of the request was not valid DeleteOptions', reason: 'BadRequest', code: 400 });
    }
  }
  const policy = (query.get('propagationPolicy') ?? body.propagationPolicy) as Propagation | undefined;
  const orphan = query.get('orphanDependents') ?? body.orphanDependents;
  return {
    ...(policy ? { propagationPolicy: policy } : orphan === true || orphan === 'true' ? { propagationPolicy: 'Orphan' as const } : {}),
    ...(isObject(body.preconditions) ? { preconditions: body.preconditions } : {}),
    ...(query.get('dryRun') === 'All' || (Array.isArray(body.dryRun) && body.dryRun.includes('All')) ? { dryRun: true } : {}),
  };
}
