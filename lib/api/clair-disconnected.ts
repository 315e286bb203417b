// Clair in a disconnected cluster (the seeds' "air-gapped" section). spec.clair.disconnected writes
// the documented config (indexer.airgap, matcher.disable_updaters); vulnerability data then comes
// from an updaters bundle exported elsewhere (`clairctl export-updaters`) and imported in the
// cluster by a Job the operator runs when an annotation asks for it (CLAIR_IMPORT_ANNOTATION), as a
// restore is asked for: no `oc cp` of clairctl, no port-forward to Clair's database.
import { Problem, problem } from '../problems';
import type { JSONSchema } from './schema';

export interface ClairSettings {
  /** The cluster cannot reach the internet: Clair's updaters off, its indexer air-gapped. */
  readonly disconnected?: boolean;
}

export const clairSchema: JSONSchema = {
  type: 'object',
  description:
    'Settings of the managed clair component beyond components[]. disconnected: true is the seeds\' air-gapped Clair: indexer.airgap: true and matcher.disable_updaters: true in Clair\'s config (your clair-config.yaml still wins key by key). Import vulnerability data with the quay-operator/clair-import-updaters annotation.',
  properties: {
    disconnected: {
      type: 'boolean',
      description: 'true: the cluster cannot reach the internet; Clair runs no updaters and fetches nothing from public addresses. Needs the clair component managed. Default false.',
    },
  },
};

/** On the QuayRegistry: import this updaters bundle into Clair's database (`pvc://<claim>/<path>` or an http(s) URL). */
export const CLAIR_IMPORT_ANNOTATION = 'quay-operator/clair-import-updaters';
/** With it: a new value imports the same source again (e.g. a new bundle under the same name). */
export const CLAIR_IMPORT_ID_ANNOTATION = 'quay-operator/clair-import-updaters-id';

export type ImportSource = { readonly kind: 'url'; readonly url: string } | { readonly kind: 'pvc'; readonly claim: string; readonly path: string };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PATH_SEGMENT = /^[A-Za-z0-9._+@=-]+$/;
const MAX_SOURCE = 2048;

/** The annotation's value as a source, or why it is not one (the status message names the annotation). */
export function parseImportSource(value: string): { source?: ImportSource; problem?: string } {
  // Quoted without any user:password@ (status and Events are read more widely than the annotation's author thinks).
  const bad = (why: string) => ({ problem: `${CLAIR_IMPORT_ANNOTATION}: ${JSON.stringify(value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1***@').slice(0, 200))} ${why}` });
  if (value.length > MAX_SOURCE) return bad(`is longer than ${MAX_SOURCE} characters`);
  if (value.startsWith('pvc://')) {
    const [claim, ...segments] = value.slice('pvc://'.length).split('/');
    if (!DNS_SUBDOMAIN.test(claim) || claim.length > 253) return bad('does not name a PersistentVolumeClaim: use pvc://<claim>/<path in the claim>, e.g. pvc://clair-updaters/updates.gz');
    if (segments.length === 0 || segments.some((s) => s === '' || s === '.' || s === '..' || !PATH_SEGMENT.test(s))) {
      return bad('does not name a file in the claim: the path after the claim is relative, without empty, . or .. parts, of letters, digits and . _ + @ = -');
    }
    return { source: { kind: 'pvc', claim, path: segments.join('/') } };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad('is neither pvc://<claim>/<path> nor an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad(`has scheme ${url.protocol.replace(/:$/, '')}: use http(s):// or pvc://<claim>/<path>`);
  if (url.hostname === '') return bad('names no host');
  // The annotation is readable by whoever reads the registry; the message (not echoing the value) goes into status and Events.
  if (url.username !== '' || url.password !== '') {
    return { problem: `${CLAIR_IMPORT_ANNOTATION}: the URL carries credentials (user:password@): the annotation is no place for them; serve the bundle inside the cluster without, or copy it to a PersistentVolumeClaim` };
  }
  return { source: { kind: 'url', url: value } };
}

export const CLAIR_IMPORT_PHASES = ['Waiting', 'Importing', 'Succeeded', 'Failed', 'Refused'] as const;
export type ClairImportPhase = (typeof CLAIR_IMPORT_PHASES)[number];

export interface ClairImportStatus {
  readonly source: string;
  readonly id?: string;
  readonly phase: ClairImportPhase;
  readonly job?: string;
  readonly message?: string;
  readonly startTime?: string;
  readonly completionTime?: string;
}

const time: JSONSchema = { type: 'string', format: 'date-time' };

export const clairImportStatusSchema: JSONSchema = {
  type: 'object',
  description: 'The last updaters bundle import asked for with the quay-operator/clair-import-updaters annotation.',
  required: ['source', 'phase'],
  properties: {
    source: { type: 'string', description: 'The bundle imported (the annotation\'s value).' },
    id: { type: 'string', description: 'The quay-operator/clair-import-updaters-id annotation of the request.' },
    phase: { type: 'string', enum: [...CLAIR_IMPORT_PHASES], description: 'Waiting (for Clair to be available), Importing, Succeeded, Failed or Refused.' },
    job: { type: 'string', description: 'The Job running clairctl import-updaters (kept until the next import, for its log).' },
    message: { type: 'string', description: 'What is happening, or why it failed or was refused.' },
    startTime: { ...time, description: 'When the request was seen.' },
    completionTime: { ...time, description: 'When it ended.' },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks spec.clair, naming the field. `clairUnmanaged`: spec.components declares clair unmanaged. */
export function parseClair(raw: unknown, clairUnmanaged: boolean, problems: Problem[]): ClairSettings | undefined {
  const path = 'spec.clair';
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) {
    problems.push(problem(path, 'must be a mapping with disconnected (true or false)'));
    return undefined;
  }
  const before = problems.length;
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'disconnected') problems.push(problem(`${path}.${k}`, 'unknown field; clair has only disconnected'));
    else if (typeof v !== 'boolean') problems.push(problem(`${path}.disconnected`, `${JSON.stringify(v)} is not true or false`));
  }
  if (raw.disconnected === true && clairUnmanaged) {
    problems.push(problem(`${path}.disconnected`, 'the clair component is unmanaged: set airgap in your own Clair\'s config (indexer.airgap, matcher.disable_updaters), or make clair managed'));
  }
  return problems.length > before ? undefined : typeof raw.disconnected === 'boolean' ? { disconnected: raw.disconnected } : {};
}
