// Replays the request sequences of ../shared/apiserver-fixtures (recorded against a real
// kube-apiserver) against an API server, and normalizes the answers exactly as the fixtures'
// replay.py does, so that they compare with the recorded ones. See that folder's README.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharedDir } from '../shared-dir';
import * as yaml from 'js-yaml';

type Obj = Record<string, any>;

export const FIXTURES_DIR = sharedDir('apiserver-fixtures');

export interface Step {
  readonly note?: string;
  readonly request: { method: string; path: string; headers?: Record<string, string>; body: unknown };
  readonly response: { status: number; body: unknown; events?: Obj[]; warnings?: string[] };
}

export interface Fixture {
  readonly name: string;
  readonly description: string;
  readonly crds?: string[];
  readonly steps: Step[];
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly events?: Obj[];
  readonly warnings?: string[];
}

export function loadFixtures(): { file: string; fixture: Fixture }[] {
  return fs
    .readdirSync(FIXTURES_DIR)
    .filter((f) => /^\d\d-.*\.json$/.test(f))
    .sort()
    .map((file) => ({ file, fixture: JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as Fixture }));
}

// ------------------------------------------------------------------------------------------ templating

function lookup(v: any, dotted: string): unknown {
  for (const seg of dotted.split('.')) v = Array.isArray(v) ? v[Number(seg)] : v?.[seg];
  return v;
}

function renderString(s: string, namespace: string, raw: unknown[], inPath: boolean): string {
  let out = s.replace(/\{\{(\d+)\.([^{}]*)\}\}/g, (_m, n, p) => {
    const v = lookup(raw[Number(n)], p);
    const str = typeof v === 'string' ? v : JSON.stringify(v);
    return inPath ? encodeURIComponent(str) : str;
  });
  out = out.replace(/\{\{repeat (\d+) ([^{}]+?)\}\}/g, (_m, n, x) => x.repeat(Number(n)));
  return out.split('NAMESPACE').join(namespace);
}

function render(v: unknown, namespace: string, raw: unknown[]): unknown {
  if (typeof v === 'string') return renderString(v, namespace, raw, false);
  if (Array.isArray(v)) return v.map((x) => render(x, namespace, raw));
  if (v && typeof v === 'object') {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) o[renderString(k, namespace, raw, false)] = render(x, namespace, raw);
    return o;
  }
  return v;
}

// ------------------------------------------------------------------------------------------ normalization (replay.py's Normalizer)

export class Normalizer {
  private readonly uids = new Map<string, string>();
  private readonly rvs = new Map<string, string>();
  private readonly generated = new Map<string, string>();
  private readonly ips = new Map<string, string>();

  constructor(private readonly namespace: string) {}

  private collect(v: unknown): void {
    if (Array.isArray(v)) {
      v.forEach((x) => this.collect(x));
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Obj;
    const m = o.metadata;
    if (m && typeof m === 'object' && !Array.isArray(m)) {
      if (typeof m.uid === 'string' && m.uid && !this.uids.has(m.uid)) this.uids.set(m.uid, `<uid:${this.uids.size + 1}>`);
      const gn = m.generateName;
      if (gn && typeof m.name === 'string' && m.name.startsWith(gn) && m.name !== gn && !this.generated.has(m.name)) this.generated.set(m.name, `${gn}<suffix:${this.generated.size + 1}>`);
      const spec = o.spec;
      if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
        for (const ip of [spec.clusterIP, ...(spec.clusterIPs ?? [])]) {
          if (typeof ip === 'string' && ip && ip !== 'None' && !this.ips.has(ip)) this.ips.set(ip, `<clusterIP:${this.ips.size + 1}>`);
        }
      }
    }
    if (o.kind === 'Status' && o.details && typeof o.details === 'object' && typeof o.details.uid === 'string' && o.details.uid && !this.uids.has(o.details.uid)) {
      this.uids.set(o.details.uid, `<uid:${this.uids.size + 1}>`);
    }
    for (const x of Object.values(o)) this.collect(x);
  }

  private string(s: string): string {
    if (s.length >= 1024 && s === s[0].repeat(s.length)) return `{{repeat ${s.length} ${s[0]}}}`;
    if (s.includes(this.namespace)) s = s.split(this.namespace).join('NAMESPACE');
    for (const [raw, ph] of this.uids) if (s.includes(raw)) s = s.split(raw).join(ph);
    for (const raw of [...this.generated.keys()].sort((a, b) => b.length - a.length)) if (s.includes(raw)) s = s.split(raw).join(this.generated.get(raw)!);
    if (this.ips.size > 0) {
      const alts = [...this.ips.keys()].sort((a, b) => b.length - a.length).map((ip) => ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      s = s.replace(new RegExp(`(?<![0-9A-Fa-f.:])(${alts.join('|')})(?![0-9A-Fa-f.:])`, 'g'), (m) => this.ips.get(m)!);
    }
    s = s.replace(/(too old resource version: \d+) \(\d+\)/g, '$1 (<resourceVersion>)');
    s = s.replace(/\b0x[0-9a-f]{6,}\b/g, '<pointer>');
    return s.replace(/\u00a0/g, ' ');
  }

  private strings(v: unknown): unknown {
    if (typeof v === 'string') return this.string(v);
    if (Array.isArray(v)) return v.map((x) => this.strings(x));
    if (v && typeof v === 'object') {
      const o: Obj = {};
      for (const [k, x] of Object.entries(v)) o[this.string(k)] = this.strings(x);
      return o;
    }
    return v;
  }

  private rv(rv: string): string {
    if (!this.rvs.has(rv)) this.rvs.set(rv, `<rv:${this.rvs.size + 1}>`);
    return this.rvs.get(rv)!;
  }

  private fields(v: unknown, bookmark = false): void {
    if (Array.isArray(v)) {
      v.forEach((x) => this.fields(x));
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Obj;
    const m = o.metadata;
    if (m && typeof m === 'object' && !Array.isArray(m)) {
      const isList = Array.isArray(o.items);
      if (typeof m.resourceVersion === 'string' && m.resourceVersion) m.resourceVersion = isList || bookmark ? '<resourceVersion>' : this.rv(m.resourceVersion);
      if (m.continue) m.continue = '<continue>';
      for (const k of ['creationTimestamp', 'deletionTimestamp']) if (m[k]) m[k] = '<timestamp>';
      if (Array.isArray(m.managedFields)) {
        for (const mf of m.managedFields) if (mf && typeof mf === 'object' && mf.time) mf.time = '<timestamp>';
        m.managedFields.sort(
          (a: Obj, b: Obj) =>
            String(a.operation).localeCompare(String(b.operation)) ||
            String(a.manager).localeCompare(String(b.manager)) ||
            String(a.apiVersion).localeCompare(String(b.apiVersion)) ||
            String(a.subresource ?? '').localeCompare(String(b.subresource ?? '')),
        );
      }
    }
    if (o.type === 'kubernetes.io/service-account-token' && o.data && typeof o.data === 'object') {
      if ('token' in o.data) o.data.token = '<token>';
      if ('ca.crt' in o.data) o.data['ca.crt'] = '<ca.crt>';
    }
    if ('type' in o && 'object' in o && Object.keys(o).length === 2) {
      this.fields(o.object, o.type === 'BOOKMARK');
      return;
    }
    for (const [k, x] of Object.entries(o)) {
      if (k !== 'metadata' || !x || typeof x !== 'object') this.fields(x);
      else for (const [mk, mx] of Object.entries(x as Obj)) if (mk !== 'managedFields') this.fields(mx);
    }
  }

  normalize<T>(value: T): T {
    const v = JSON.parse(JSON.stringify(value ?? null));
    this.collect(v);
    const s = this.strings(v);
    this.fields(s);
    return s as T;
  }
}

// ------------------------------------------------------------------------------------------ running

async function send(server: string, token: string, method: string, p: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; events?: Obj[]; warnings: string[] }> {
  const h: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'fixture-replayer', Authorization: `Bearer ${token}` };
  let data: string | undefined;
  if (body !== null && body !== undefined) {
    data = typeof body === 'string' ? body : JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  for (const [k, v] of Object.entries(headers)) {
    for (const existing of Object.keys(h)) if (existing.toLowerCase() === k.toLowerCase()) delete h[existing];
    h[k] = v;
  }
  const res = await fetch(server + p, { method, headers: h, ...(data !== undefined ? { body: data } : {}) });
  const warnings: string[] = [];
  const w = res.headers.get('warning');
  if (w) warnings.push(...w.split(/,\s*(?=299 )/));
  const text = await res.text();
  const query = new URLSearchParams(p.split('?')[1] ?? '');
  if (res.status === 200 && (query.get('watch') === 'true' || query.get('watch') === '1')) {
    return { status: 200, body: null, events: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)), warnings };
  }
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* text answers stay text */
  }
  return { status: res.status, body: parsed, warnings };
}

/** Installs the fixture's CRDs (server-side apply, as replay.py) and waits until each is served. */
async function ensureCrd(server: string, token: string, rel: string): Promise<void> {
  const crd = yaml.load(fs.readFileSync(path.join(FIXTURES_DIR, rel), 'utf8')) as Obj;
  const name = crd.metadata.name;
  const r = await send(server, token, 'PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}?fieldManager=fixture-setup&force=true`, crd, {
    'Content-Type': 'application/apply-patch+yaml',
  });
  if (r.status !== 200 && r.status !== 201) throw new Error(`installing CRD ${rel} failed: ${r.status} ${JSON.stringify(r.body)}`);
  const version = (crd.spec.versions as Obj[]).find((v) => v.storage)!.name;
  for (let i = 0; i < 100; i++) {
    const list = await send(server, token, 'GET', `/apis/${crd.spec.group}/${version}/${crd.spec.names.plural}`, null);
    if (list.status === 200) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`CRD ${name} is not served`);
}

/** Replays one fixture in a fresh namespace; returns the normalized answers, one per step. */
export async function replay(server: string, token: string, fixture: Fixture, index: number): Promise<Answer[]> {
  for (const rel of fixture.crds ?? []) await ensureCrd(server, token, rel);
  const namespace = `fx-${String(index).padStart(2, '0')}-${Math.random().toString(16).slice(2, 10)}`;
  const normalizer = new Normalizer(namespace);
  const raw: unknown[] = [];
  const answers: Answer[] = [];
  for (const step of fixture.steps) {
    const r = step.request;
    const p = renderString(r.path, namespace, raw, true);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = renderString(v, namespace, raw, false);
    const body = typeof r.body === 'string' ? renderString(r.body, namespace, raw, false) : render(r.body, namespace, raw);
    const got = await send(server, token, r.method, p, body, headers);
    raw.push(got.body);
    answers.push({
      status: got.status,
      body: normalizer.normalize(got.body),
      ...(got.events ? { events: normalizer.normalize(got.events) } : {}),
      ...(got.warnings.length > 0 ? { warnings: normalizer.normalize(got.warnings) } : {}),
    });
  }
  return answers;
}
