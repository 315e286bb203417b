// The fake's storage: objects by type, namespace and name, with one resourceVersion counter (etcd's
// revision), a bounded log of changes that watches replay from, and the served types.
import { notFound, pageNotFound, coreNotFound } from './errors';
import { decodeManagers, Managers } from './managed-fields';
import { ServedType } from './resources';

type Obj = Record<string, any>;

export interface Entry {
  readonly type: ServedType;
  obj: Obj;
  /** managedFields, decoded (obj.metadata.managedFields is their encoding). */
  managers: Managers;
}

export interface StoreEvent {
  readonly rv: number;
  readonly typeKey: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly obj: Obj;
  /** The object before a modification. */
  readonly prev?: Obj;
}

export const typeKey = (t: { apiVersion: string; kind: string }) => `${t.apiVersion}/${t.kind}`;
const objKey = (t: ServedType, namespace: string | undefined, name: string) => `${t.namespaced ? (namespace ?? '') : ''}/${name}`;

export class Store {
  private readonly types = new Map<string, ServedType>();
  private readonly objects = new Map<string, Map<string, Entry>>();
  readonly byUid = new Map<string, Entry>();
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<(ev: StoreEvent) => void>();
  /** The revision counter; starts high, as an etcd that has lived a while (revision 1 is too old to watch from). */
  private rv: number;
  /** Events with rv <= this are gone from the log. */
  compactedThrough: number;
  private ip = 0;
  /** How far the fake's clock is ahead of the machine's (advanceClock): timestamps, managedFields times. */
  clockSkewMs = 0;

  constructor(private readonly window: number) {
    this.rv = 1000;
    this.compactedThrough = this.rv;
  }

  /** The API server's time, at the second (as metav1.Time is serialized). */
  now(): string {
    return new Date(Date.now() + this.clockSkewMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // ------------------------------------------------------------------------------ types

  serve(t: ServedType): void {
    this.types.set(typeKey(t), t);
    if (!this.objects.has(typeKey(t))) this.objects.set(typeKey(t), new Map());
  }

  unserve(crdName: string): ServedType[] {
    const gone = [...this.types.values()].filter((t) => t.crdName === crdName);
    for (const t of gone) this.types.delete(typeKey(t));
    return gone;
  }

  allTypes(): ServedType[] {
    return [...this.types.values()];
  }

  type(apiVersion: string, kind: string): ServedType | undefined {
    return this.types.get(`${apiVersion}/${kind}`);
  }

  mustType(apiVersion: string, kind: string): ServedType {
    const t = this.type(apiVersion, kind);
    if (!t) throw apiVersion.includes('/') ? pageNotFound() : coreNotFound();
    return t;
  }

  byPlural(apiVersion: string, plural: string): ServedType | undefined {
    for (const t of this.types.values()) if (t.apiVersion === apiVersion && t.plural === plural) return t;
    return undefined;
  }

  // ------------------------------------------------------------------------------ objects

  get(t: ServedType, namespace: string | undefined, name: string): Entry | undefined {
    return this.objects.get(typeKey(t))?.get(objKey(t, namespace, name));
  }

  mustGet(t: ServedType, namespace: string | undefined, name: string): Entry {
    const e = this.get(t, namespace, name);
    if (!e) throw notFound(t, name);
    return e;
  }

  /** Objects of a type (in a namespace), in namespace/name order, as lists answer. */
  list(t: ServedType, namespace?: string): Entry[] {
    const entries = [...(this.objects.get(typeKey(t))?.values() ?? [])].filter((e) => !t.namespaced || namespace === undefined || e.obj.metadata.namespace === namespace);
    return entries.sort(
      (a, b) => (a.obj.metadata.namespace ?? '').localeCompare(b.obj.metadata.namespace ?? '') || String(a.obj.metadata.name).localeCompare(String(b.obj.metadata.name)),
    );
  }

  /** Every stored object of every type. */
  *all(): Iterable<Entry> {
    for (const m of this.objects.values()) yield* m.values();
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private nextRv(): string {
    this.rv++;
    return String(this.rv);
  }

  /** Stores a new object (already given its identity) and announces it. */
  add(t: ServedType, obj: Obj, managers: Managers): Entry {
    obj.metadata.resourceVersion = this.nextRv();
    const e: Entry = { type: t, obj, managers };
    this.objects.get(typeKey(t))!.set(objKey(t, obj.metadata.namespace, obj.metadata.name), e);
    this.byUid.set(obj.metadata.uid, e);
    this.record({ rv: this.rv, typeKey: typeKey(t), type: 'ADDED', obj });
    return e;
  }

  /** Replaces an entry's object with a new revision. */
  replace(e: Entry, obj: Obj, managers: Managers): Obj {
    const prev = e.obj;
    obj.metadata.resourceVersion = this.nextRv();
    e.obj = obj;
    e.managers = managers;
    this.record({ rv: this.rv, typeKey: typeKey(e.type), type: 'MODIFIED', obj, prev });
    return obj;
  }

  /** Removes an entry; the DELETED event carries a new resourceVersion. */
  remove(e: Entry): Obj {
    const obj = { ...e.obj, metadata: { ...e.obj.metadata, resourceVersion: this.nextRv() } };
    this.objects.get(typeKey(e.type))?.delete(objKey(e.type, e.obj.metadata.namespace, e.obj.metadata.name));
    this.byUid.delete(e.obj.metadata.uid);
    this.record({ rv: this.rv, typeKey: typeKey(e.type), type: 'DELETED', obj });
    return obj;
  }

  /** Direct write of a decoded object (restores an entry's managers from its managedFields). */
  managersOf(obj: Obj): Managers {
    return decodeManagers(obj);
  }

  allocateClusterIP(): string {
    this.ip++;
    return `10.96.${Math.floor(this.ip / 250) % 250}.${(this.ip % 250) + 1}`;
  }

  // ------------------------------------------------------------------------------ change log

  onEvent(listener: (ev: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(ev: StoreEvent): void {
    this.log.push(ev);
    while (this.log.length > this.window) this.compactedThrough = this.log.shift()!.rv;
    for (const l of this.listeners) l(ev);
  }

  /** Events after `rv`, or undefined when some are gone (the watch must start over: 410). */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedThrough) return undefined;
    return this.log.filter((e) => e.rv > rv);
  }

  /** Forgets the whole log: every earlier resourceVersion becomes too old. */
  compact(): void {
    this.compactedThrough = this.rv;
    this.log.length = 0;
  }

  // ------------------------------------------------------------------------------ namespaces

  namespacePhase(namespace: string): 'Missing' | 'Active' | 'Terminating' {
    const nsType = this.type('v1', 'Namespace')!;
    const ns = this.get(nsType, undefined, namespace);
    if (!ns) return 'Missing';
    return ns.obj.metadata.deletionTimestamp ? 'Terminating' : 'Active';
  }
}
