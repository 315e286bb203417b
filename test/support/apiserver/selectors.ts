// Label and field selectors, with the API server's syntax and its error messages.
import { badRequest } from './errors';

type Obj = Record<string, any>;

export interface LabelRequirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt';
  readonly values: readonly string[];
}

export interface FieldRequirement {
  readonly path: string;
  readonly equal: boolean;
  readonly value: string;
}

type Token = { kind: 'id' | 'op' | 'paren' | 'comma'; text: string };

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: 'paren', text: c });
      i++;
    } else if (c === ',') {
      tokens.push({ kind: 'comma', text: c });
      i++;
    } else if (s.startsWith('==', i) || s.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: s.slice(i, i + 2) });
      i += 2;
    } else if (c === '=' || c === '!' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s(),=!<>]/.test(s[j])) j++;
      tokens.push({ kind: 'id', text: s.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** Parses a label selector as labels.Parse does (=, ==, !=, in, notin, exists, !exists, gt, lt). */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const out: LabelRequirement[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const expectEnd = () => {
    const t = peek();
    if (t && t.kind !== 'comma') throw badRequest(`found '${t.text}', expected: ',' or 'end of string'`);
    if (t) i++;
  };
  while (i < tokens.length) {
    let t = tokens[i++];
    if (t.kind === 'op' && t.text === '!') {
      const k = tokens[i++];
      if (!k || k.kind !== 'id') throw badRequest(`found '${k?.text ?? ''}', expected: identifier after '!'`);
      out.push({ key: k.text, op: '!exists', values: [] });
      expectEnd();
      continue;
    }
    if (t.kind !== 'id') throw badRequest(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    const key = t.text;
    const next = peek();
    if (!next || next.kind === 'comma') {
      out.push({ key, op: 'exists', values: [] });
      expectEnd();
      continue;
    }
    t = tokens[i++];
    if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
      const open = tokens[i++];
      if (!open || open.text !== '(') throw badRequest(`found '${open?.text ?? ''}', expected: '('`);
      const values: string[] = [];
      for (;;) {
        const v = tokens[i++];
        if (!v) throw badRequest("found '', expected: ')'");
        if (v.text === ')') break;
        if (v.kind === 'comma') continue;
        values.push(v.text);
      }
      out.push({ key, op: t.text as 'in' | 'notin', values });
      expectEnd();
      continue;
    }
    if (t.kind !== 'op') throw badRequest(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
    const v = peek()?.kind === 'id' ? tokens[i++].text : '';
    if (t.text === '>' || t.text === '<') out.push({ key, op: t.text === '>' ? 'gt' : 'lt', values: [v] });
    else out.push({ key, op: t.text === '!=' ? 'notin' : 'in', values: [v] });
    expectEnd();
  }
  return out;
}

export function labelsMatch(labels: Record<string, string> | undefined, reqs: readonly LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'gt':
        return has && Number(l[r.key]) > Number(r.values[0]);
      case 'lt':
        return has && Number(l[r.key]) < Number(r.values[0]);
    }
  });
}

/** Field selectors the server supports, by kind (metadata.name and metadata.namespace everywhere). */
const FIELDS: Record<string, string[]> = {
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'reason', 'type', 'source', 'reportingComponent'],
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Secret: ['type'],
  Namespace: ['status.phase'],
};

export function parseFieldSelector(selector: string, kind: string): FieldRequirement[] {
  if (!selector.trim()) return [];
  return selector.split(',').map((term) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const allowed = ['metadata.name', 'metadata.namespace', ...(FIELDS[kind] ?? [])];
    if (!allowed.includes(m[1])) throw badRequest(`field label not supported: ${m[1]}`);
    return { path: m[1], equal: m[2] !== '!=', value: m[3] };
  });
}

export function fieldsMatch(obj: Obj, reqs: readonly FieldRequirement[]): boolean {
  return reqs.every((r) => {
    let v: any = obj;
    for (const seg of r.path.split('.')) v = v?.[seg];
    if (r.path === 'source' && obj.kind === 'Event') v = obj.source?.component;
    return (String(v ?? '') === r.value) === r.equal;
  });
}
