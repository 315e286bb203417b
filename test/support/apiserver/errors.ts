// Refusals in the API server's own format: a v1 Status with the HTTP code, reason, message and, where
// the server gives them, details (name, group, kind, causes). Which details a refusal carries, and
// whether `kind` is the Kind or the plural resource, follows the recorded answers in
// ../shared/apiserver-fixtures (README, "Errors, paths and namespaces").

type Obj = Record<string, unknown>;

export interface Cause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** What a refusal needs to know about the resource: its Kind, plural and group. */
export interface ResourceNames {
  readonly kind: string;
  readonly plural: string;
  readonly group: string;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly body: Obj | string,
  ) {
    super(typeof body === 'string' ? body : String(body.message));
  }

  get reason(): string | undefined {
    return typeof this.body === 'string' ? undefined : (this.body.reason as string | undefined);
  }
}

function status(code: number, message: string, reason?: string, details?: Obj): StatusError {
  return new StatusError(code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  });
}

const qualified = (r: ResourceNames) => (r.group ? `${r.plural}.${r.group}` : r.plural);
const group = (r: ResourceNames) => (r.group ? { group: r.group } : {});

export function notFound(r: ResourceNames, name: string): StatusError {
  return status(404, `${qualified(r)} "${name}" not found`, 'NotFound', { name, ...group(r), kind: r.plural });
}

export function namespaceNotFound(namespace: string): StatusError {
  return status(404, `namespaces "${namespace}" not found`, 'NotFound', { name: namespace, kind: 'namespaces' });
}

export function alreadyExists(r: ResourceNames, name: string): StatusError {
  return status(409, `${qualified(r)} "${name}" already exists`, 'AlreadyExists', { name, ...group(r), kind: r.plural });
}

export function staleResourceVersion(r: ResourceNames, name: string): StatusError {
  return status(409, `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, 'Conflict', {
    name,
    ...group(r),
    kind: r.plural,
  });
}

export function uidPreconditionFailed(r: ResourceNames, name: string, want: string, have: string): StatusError {
  return status(
    409,
    `Operation cannot be fulfilled on ${r.kind} "${name}": the UID in the precondition (${want}) does not match the UID in record (${have}). The object might have been deleted and then recreated`,
    'Conflict',
    { name, ...group(r), kind: r.kind },
  );
}

/** The message lists each distinct cause once (the details keep them all). */
function causeList(causes: readonly Cause[]): string[] {
  return [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
}

export function invalid(r: ResourceNames, name: string, causes: readonly Cause[]): StatusError {
  const parts = causeList(causes);
  const what = `${r.kind}${r.group ? `.${r.group}` : ''} "${name}"`;
  return status(422, `${what} is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, 'Invalid', { name, ...group(r), kind: r.kind, causes });
}

/** 422 with the plural resource as details.kind (the custom-resource resourceVersion check). */
export function invalidResource(r: ResourceNames, name: string, causes: readonly Cause[]): StatusError {
  const parts = causeList(causes);
  return status(422, `${qualified(r)} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, 'Invalid', { name, ...group(r), kind: r.plural, causes });
}

/** A request option (PatchOptions, DeleteOptions) that is invalid. */
export function invalidOptions(kind: string, causes: readonly Cause[]): StatusError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  return status(422, `${kind}.meta.k8s.io "" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, 'Invalid', { group: 'meta.k8s.io', kind, causes });
}

export function badRequest(message: string): StatusError {
  return status(400, message, 'BadRequest');
}

/** 500 as apply reports a body it cannot type: no reason, no details. */
export function internal(message: string): StatusError {
  return status(500, message);
}

export function forbidden(r: ResourceNames | undefined, name: string | undefined, message: string, causes?: readonly Cause[]): StatusError {
  const details: Obj = r ? { ...(name ? { name } : {}), ...group(r), kind: r.plural, ...(causes ? { causes } : {}) } : {};
  return status(403, message, 'Forbidden', details);
}

export function unauthorized(): StatusError {
  return status(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(): StatusError {
  return status(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed', {});
}

export function unsupportedMediaType(contentType: string | undefined): StatusError {
  return status(
    415,
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${contentType === undefined ? '' : ''}`,
    'UnsupportedMediaType',
    {},
  );
}

/** An unknown resource in the core group. */
export function coreNotFound(): StatusError {
  return status(404, 'the server could not find the requested resource', 'NotFound', {});
}

/** An unknown group, version or resource under /apis: the mux's plain text answer. */
export function pageNotFound(): StatusError {
  return new StatusError(404, '404 page not found\n');
}

export function expired(message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

/** A failure injected by a test (500, 503, 429 ...), with the reason the server would give. */
export function injected(code: number, message: string): StatusError {
  const reasons: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout', 409: 'Conflict' };
  return status(code, message, reasons[code] ?? 'InternalError', {});
}
