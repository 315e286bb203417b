// The part of `kustomize build` the examples use (resources: files and directories; patches: JSON
// 6902 with a target), so tests render the GitOps layouts offline. Anything else in a
// kustomization.yaml is an error here, so an example cannot silently rely on what this does not do;
// test/synth/geo-replication-sites.test.ts compares it with `kubectl kustomize` where kubectl exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

type Obj = Record<string, any>;
interface Op {
  readonly op: 'add' | 'replace' | 'remove';
  readonly path: string;
  readonly value?: unknown;
}
interface Target {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
  readonly name?: string;
}

const SUPPORTED = ['apiVersion', 'kind', 'resources', 'patches'];

export function kustomizeBuild(dir: string): Obj[] {
  const k = yaml.load(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Obj;
  for (const key of Object.keys(k)) if (!SUPPORTED.includes(key)) throw new Error(`${dir}/kustomization.yaml: ${key} is not supported by this subset`);
  const objects: Obj[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) objects.push(...kustomizeBuild(p));
    else objects.push(...(yaml.loadAll(fs.readFileSync(p, 'utf8')) as Obj[]).filter((o) => o));
  }
  for (const patch of (k.patches ?? []) as { target: Target; patch: string }[]) {
    const ops = yaml.load(patch.patch) as Op[];
    const matched = objects.filter((o) => matches(o, patch.target));
    if (matched.length === 0) throw new Error(`${dir}: no resource matches patch target ${JSON.stringify(patch.target)}`);
    for (const o of matched) for (const op of ops) apply(o, op);
  }
  return objects;
}

function matches(o: Obj, t: Target): boolean {
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion)];
  return (t.group === undefined || t.group === group) && (t.version === undefined || t.version === version) && (t.kind === undefined || t.kind === o.kind) && (t.name === undefined || t.name === o.metadata?.name);
}

/** RFC 6902 add, replace and remove, with RFC 6901 pointers (`-` appends to a list). */
function apply(doc: Obj, op: Op): void {
  const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop()!;
  let parent: any = doc;
  for (const p of parts) {
    parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
    if (parent === undefined) throw new Error(`${op.op} ${op.path}: no such path`);
  }
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (op.op === 'add') parent.splice(i, 0, op.value);
    else if (i >= parent.length) throw new Error(`${op.op} ${op.path}: no such element`);
    else if (op.op === 'replace') parent[i] = op.value;
    else parent.splice(i, 1);
    return;
  }
  if (op.op !== 'add' && !(last in parent)) throw new Error(`${op.op} ${op.path}: no such member`);
  if (op.op === 'remove') delete parent[last];
  else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
  else throw new Error(`unsupported op ${(op as Op).op}`);
}
