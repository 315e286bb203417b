// Sets of field paths, as server-side apply tracks ownership (structured-merge-diff's fieldpath.Set)
// and as managedFields serialize them (FieldsV1). A path element is kept in its serialized form,
// which is also its identity:
//   f:<name>        a field of an object or a key of a map
//   k:{"a":1,...}   the item of a list-map with these key values (keys sorted)
//   v:<json>        the item of a set-list with this value
//   i:<n>           the item at an index (only in lists that are neither)
export type PathElement = string;
export type Path = readonly PathElement[];

export const field = (name: string): PathElement => `f:${name}`;
export const value = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
export const index = (i: number): PathElement => `i:${i}`;
export function key(fields: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(fields).sort()) sorted[k] = fields[k];
  return `k:${JSON.stringify(sorted)}`;
}

export function isField(pe: PathElement): boolean {
  return pe.startsWith('f:');
}

export function fieldName(pe: PathElement): string {
  return pe.slice(2);
}

/** As the API server prints a path in errors: .spec.containers[name="app"].image, [port=443,protocol="TCP"], [="x"], [0]. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(keys)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let cur: FieldSet = this;
    for (const pe of path.slice(0, -1)) {
      let next = cur.children.get(pe);
      if (!next) cur.children.set(pe, (next = new FieldSet()));
      cur = next;
    }
    cur.members.add(path[path.length - 1]);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let cur: FieldSet | undefined = this;
    for (const pe of path.slice(0, -1)) {
      cur = cur.children.get(pe);
      if (!cur) return false;
    }
    return cur.members.has(path[path.length - 1]);
  }

  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? EMPTY;
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of other.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c);
    for (const [pe, c] of other.children) {
      const mine = out.children.get(pe);
      out.children.set(pe, mine ? mine.union(c) : c);
    }
    return out;
  }

  /** Members not in `other`; children differenced recursively ("child - parent = child", as upstream). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = other.children.get(pe);
      const d = theirs ? c.difference(theirs) : c;
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Like difference, but a member of `other` also removes everything under it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (other.members.has(pe)) continue;
      const theirs = other.children.get(pe);
      const d = theirs ? c.recursiveDifference(theirs) : c;
      if (!d.empty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const theirs = other.children.get(pe);
      if (!theirs) continue;
      const i = c.intersection(theirs);
      if (!i.empty()) out.children.set(pe, i);
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    return JSON.stringify(this.toFieldsV1()) === JSON.stringify(other.toFieldsV1());
  }

  /** Every member path, in a stable order (members before children, each sorted). */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = [];
    for (const m of [...this.members].sort()) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort()) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** The managedFields encoding: a member is `{}`, a member with children also has `".": {}`. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = [...new Set([...this.members, ...this.children.keys()])].sort();
    for (const pe of keys) {
      const child = this.children.get(pe);
      if (child && !child.empty()) {
        const inner = child.toFieldsV1();
        out[pe] = this.members.has(pe) ? { '.': {}, ...inner } : inner;
      } else if (this.members.has(pe)) out[pe] = {};
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (typeof v !== 'object' || v === null) return s;
    for (const [pe, inner] of Object.entries(v as Record<string, unknown>)) {
      if (pe === '.') continue;
      const child = FieldSet.fromFieldsV1(inner);
      const entries = typeof inner === 'object' && inner !== null ? Object.keys(inner) : [];
      if (entries.length === 0 || entries.includes('.')) s.members.add(pe);
      if (!child.empty()) s.children.set(pe, child);
    }
    return s;
  }
}

const EMPTY = new FieldSet();
