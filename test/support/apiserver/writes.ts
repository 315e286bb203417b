// Every write the fake accepts goes through here, in the API server's order: decoding (400), apply's
// typing of the configuration (500), admission that needs no validation (namespace lifecycle 404/403),
// field management (409 conflicts), conversion and defaulting, validation (422), admission that
// checks permissions (403), then storage (409 stale resourceVersion / already exists). A write that
// changes nothing keeps the resourceVersion and sends no event.
import { randomUUID } from 'node:crypto';
import * as yaml from 'js-yaml';
import { ADMIN, Attributes, deniedMessage, formatRule, notHeld, PolicyRule, RbacSource, UserInfo } from './auth';
import { decodeDefaults, goRoundTrip, keepEmptyFor, nullsToEmptyStrings, prepareForCreate } from './builtin-defaults';
import { validateBuiltin, validateMetadata } from './builtin-validation';
import {
  alreadyExists,
  badRequest,
  Cause,
  forbidden,
  internal,
  invalid,
  invalidOptions,
  invalidResource,
  namespaceNotFound,
  StatusError,
  staleResourceVersion,
  unsupportedMediaType,
} from './errors';
import { pathString } from './fieldpath';
import { applyFields, ConflictError, encodeManagers, FieldContext, managerKey, Managers, updateFields } from './managed-fields';
import { applyDefaults, hasCelRules, isBlocking, NOT_CHECKED, pruneUnknown, validateCel, validateSchema } from './openapi-validation';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch';
import { parseQuantity } from '../../../lib/quantity';
import { SCHEMAS, ServedType } from './resources';
import { Entry, Store } from './store';
import { checkTyped, clone, deepEqual, isObject } from './typed';

type Obj = Record<string, any>;

export interface WriteOptions {
  readonly manager: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
  /** How unknown fields in a create, update or patch are met: dropped with a warning (default), refused, or dropped silently. */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  readonly user?: UserInfo;
  /** Test convenience: a create keeps the status it is given. */
  readonly keepStatus?: boolean;
}

export interface WriteResult {
  readonly obj: Obj;
  readonly code: number;
  readonly warnings: string[];
}

export interface WriterOptions {
  /** OwnerReferencesPermissionEnforcement (on in OpenShift): blockOwnerDeletion needs update on the owner's finalizers. */
  readonly ownerReferencesPermissionEnforcement: boolean;
  readonly rbac: RbacSource;
  readonly authorize: (a: Attributes) => boolean;
}

const SYSTEM_METADATA = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'selfLink', 'managedFields'];

/** An object without its managedFields (the field manager works on the rest). */
export function bare(obj: Obj | undefined): Obj | undefined {
  if (!obj) return obj;
  const { managedFields: _m, ...metadata } = obj.metadata ?? {};
  void _m;
  return { ...obj, metadata };
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

/** Go's base64.StdEncoding errors: the first bad byte, or the start of an unpadded last quantum. */
function base64Error(s: string): string | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad) return `illegal base64 data at input byte ${bad.index}`;
  if (s.length % 4 !== 0) return `illegal base64 data at input byte ${s.length - (s.length % 4)}`;
  const pad = s.indexOf('=');
  if (pad >= 0 && pad < s.length - 2) return `illegal base64 data at input byte ${pad}`;
  return undefined;
}

export class Writer {
  constructor(
    private readonly store: Store,
    private readonly options: WriterOptions,
  ) {}

  private ctx(t: ServedType): FieldContext {
    return { schemas: SCHEMAS, schema: t.schema, apiVersion: t.apiVersion, now: this.store.now() };
  }

  // ------------------------------------------------------------------------------ request checks

  /** NamespaceLifecycle: nothing is written into a namespace that does not exist; nothing is created in one being deleted. */
  private admitNamespace(t: ServedType, namespace: string | undefined, name: string, creating: boolean): void {
    if (!t.namespaced || namespace === undefined) return;
    const phase = this.store.namespacePhase(namespace);
    if (phase === 'Missing') throw namespaceNotFound(namespace);
    if (phase === 'Terminating' && creating) {
      throw forbidden(t, name, `${t.plural}${t.group ? `.${t.group}` : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  /** Places a request body at its URL: apiVersion and kind checked, namespace filled in or checked. */
  private placed(t: ServedType, namespace: string | undefined, body: unknown, name?: string): Obj {
    if (!isObject(body)) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    const o = clone(body);
    if (o.apiVersion !== undefined && o.apiVersion !== t.apiVersion) throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${t.apiVersion})`);
    if (o.kind !== undefined && o.kind !== t.kind) throw badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${t.kind})`);
    o.apiVersion = t.apiVersion;
    o.kind = t.kind;
    o.metadata = isObject(o.metadata) ? o.metadata : {};
    if (name !== undefined) {
      if (o.metadata.name !== undefined && o.metadata.name !== name) throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
      o.metadata.name = name;
    }
    if (t.namespaced) {
      if (o.metadata.namespace !== undefined && namespace !== undefined && o.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      o.metadata.namespace = namespace ?? o.metadata.namespace;
    } else delete o.metadata.namespace;
    return o;
  }

  /** Decoding a built-in object: wrong types are 400, unknown fields dropped (with a warning) or refused. */
  private decode(t: ServedType, o: Obj, fieldValidation: WriteOptions['fieldValidation'], warnings: string[]): void {
    const dropped: string[] = [];
    pruneUnknown(SCHEMAS, t.schema, o, '', dropped);
    if (dropped.length > 0) {
      if (fieldValidation === 'Strict') throw badRequest(`strict decoding error: ${dropped.map((d) => `unknown field "${d}"`).join(', ')}`);
      if (fieldValidation !== 'Ignore') warnings.push(...dropped.sort().map((d) => `unknown field "${d}"`));
    }
    if (t.custom) return;
    const errors = checkTyped(SCHEMAS, t.schema, o);
    if (errors.length > 0) throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: ${errors[0].replace(/^\.?/, '')}`);
    if (t.kind === 'Secret' && t.group === '') {
      for (const v of Object.values((o.data ?? {}) as Record<string, unknown>)) {
        const err = typeof v === 'string' ? base64Error(v) : undefined;
        if (err) throw badRequest(`Secret in version "v1" cannot be handled as a Secret: ${err}`);
      }
    }
  }

  // ------------------------------------------------------------------------------ normalization and validation

  /** Conversion and defaulting as a body is decoded: what an update's writer owns. */
  private decodeStage(t: ServedType, o: Obj): Obj {
    let obj = o;
    if (t.kind === 'Secret' && t.group === '') {
      // stringData is write-only: merged into data (it wins) and never stored.
      if (isObject(obj.stringData)) {
        obj.data = { ...(obj.data ?? {}) };
        for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v ?? '')).toString('base64');
      }
      delete obj.stringData;
    }
    if (t.custom) {
      applyDefaults(SCHEMAS, t.schema, obj);
      return obj;
    }
    nullsToEmptyStrings(obj);
    obj = goRoundTrip(obj, keepEmptyFor(t.kind)) as Obj;
    decodeDefaults(obj);
    return obj;
  }

  /** The REST strategy's part: what a create adds (owned by nobody), generation, then validation (422). */
  private prepareStage(t: ServedType, obj: Obj, old: Entry | undefined, keepStatus = false): Obj {
    if (!old && !t.custom) prepareForCreate(obj, () => this.store.allocateClusterIP(), keepStatus);
    this.bumpGeneration(t, obj, old?.obj);
    const causes = this.validate(t, obj, old?.obj);
    if (causes.length > 0) throw invalid(t, obj.metadata.name, causes);
    return obj;
  }

  private bumpGeneration(t: ServedType, obj: Obj, old: Obj | undefined): void {
    if (!t.generation) {
      delete obj.metadata.generation;
      return;
    }
    if (!old) {
      obj.metadata.generation = 1;
      return;
    }
    const strip = (x: Obj) => {
      const { metadata: _m, status: _s, ...rest } = x;
      void _m;
      void _s;
      return t.statusSubresource ? rest : { ...rest, status: x.status };
    };
    let changed = !deepEqual(strip(obj), strip(old));
    if (t.kind === 'Deployment' && !deepEqual(obj.metadata.annotations, old.metadata.annotations)) changed = true;
    if (obj.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) changed = true;
    obj.metadata.generation = (old.metadata.generation ?? 0) + (changed ? 1 : 0);
  }

  private validate(t: ServedType, obj: Obj, old: Obj | undefined): Cause[] {
    if (!t.custom) return validateBuiltin(obj, old);
    const causes = validateMetadata(obj, t.kind, old);
    const { metadata: _m, ...body } = obj;
    void _m;
    validateSchema(SCHEMAS, t.schema, body, '', causes);
    // metadata is checked above, not against the schema: a root `required: [metadata]` (OLM's CRDs) is met, as on a real server.
    const metadataRequired = causes.findIndex((c) => c.reason === 'FieldValueRequired' && (c.field === '.metadata' || c.field === 'metadata'));
    if (metadataRequired >= 0) causes.splice(metadataRequired, 1);
    // The root schema's own path is empty: its causes name fields without a leading dot.
    for (const c of causes) if ((c.field as string).startsWith('.')) (c as { field: string }).field = c.field.slice(1);
    if (isBlocking(causes)) {
      if (t.celRules || hasCelRules(SCHEMAS, t.schema)) causes.push(NOT_CHECKED);
      return causes;
    }
    const { metadata: _om, ...oldBody } = old ?? {};
    void _om;
    validateCel(SCHEMAS, t.schema, body, old ? oldBody : undefined, '', causes);
    for (const c of causes) if ((c.field as string).startsWith('.')) (c as { field: string }).field = c.field.slice(1);
    return causes;
  }

  // ------------------------------------------------------------------------------ admission with permissions

  private admitPermissions(t: ServedType, obj: Obj, old: Obj | undefined, user: UserInfo): void {
    if (t.kind === 'PersistentVolumeClaim' && t.group === '' && old) this.admitResize(t, obj, old);
    if (user === ADMIN) return;
    if (this.options.ownerReferencesPermissionEnforcement) {
      const before = new Set(((old?.metadata.ownerReferences ?? []) as Obj[]).filter((r) => r.blockOwnerDeletion).map((r) => r.uid));
      for (const ref of (obj.metadata.ownerReferences ?? []) as Obj[]) {
        if (!ref.blockOwnerDeletion || before.has(ref.uid)) continue;
        const ownerType = this.store.type(ref.apiVersion, ref.kind);
        const attrs: Attributes = {
          user,
          verb: 'update',
          resource: { group: ownerType?.group ?? '', resource: ownerType?.plural ?? ref.kind.toLowerCase(), subresource: 'finalizers', ...(ownerType?.namespaced ? { namespace: obj.metadata.namespace } : {}), name: ref.name },
        };
        if (!this.options.authorize(attrs)) {
          throw forbidden(
            t,
            obj.metadata.name,
            `${t.plural}${t.group ? `.${t.group}` : ''} "${obj.metadata.name}" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ${deniedMessage(attrs).replace(/^.* is forbidden: /, '')}, <nil>`,
          );
        }
      }
    }
    if (t.group === 'rbac.authorization.k8s.io') this.admitRbac(t, obj, user);
  }

  /** PersistentVolumeClaimResize: a bound claim grows only through a StorageClass that allows volume expansion. */
  private admitResize(t: ServedType, obj: Obj, old: Obj): void {
    const size = (o: Obj) => parseQuantity(String(o.spec?.resources?.requests?.storage ?? '0'));
    if (old.status?.phase !== 'Bound' || !(size(obj) > size(old))) return;
    const scType = this.store.type('storage.k8s.io/v1', 'StorageClass');
    const className = obj.spec?.storageClassName;
    const sc = scType && className ? this.store.get(scType, undefined, className)?.obj : undefined;
    if (sc?.allowVolumeExpansion === true) return;
    throw forbidden(
      t,
      obj.metadata.name,
      `persistentvolumeclaims "${obj.metadata.name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
    );
  }

  /** RBAC's escalation prevention for roles and bindings. */
  private admitRbac(t: ServedType, obj: Obj, user: UserInfo): void {
    const namespace = t.namespaced ? obj.metadata.namespace : undefined;
    const can = (verb: string, resource: string, name?: string) =>
      this.options.authorize({ user, verb, resource: { group: 'rbac.authorization.k8s.io', resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) } });
    let granted: PolicyRule[] = [];
    if (t.kind === 'Role' || t.kind === 'ClusterRole') {
      if (can('escalate', t.plural, obj.metadata.name)) return;
      granted = (obj.rules ?? []) as PolicyRule[];
    } else {
      const ref = obj.roleRef ?? {};
      const roleResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      if (can('bind', roleResource, ref.name)) return;
      const roleType = this.store.type('rbac.authorization.k8s.io/v1', ref.kind)!;
      granted = ((this.store.get(roleType, ref.kind === 'Role' ? namespace : undefined, ref.name)?.obj.rules ?? []) as PolicyRule[]);
    }
    const missing = notHeld(this.options.rbac, user, namespace, granted);
    if (missing.length > 0) {
      throw forbidden(
        t,
        obj.metadata.name,
        `${t.plural}.${t.group} "${obj.metadata.name}" is forbidden: user "${user.name}" (groups=${JSON.stringify(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(formatRule).join('\n')}`,
      );
    }
  }

  // ------------------------------------------------------------------------------ storing

  private commit(t: ServedType, old: Entry | undefined, obj: Obj, managers: Managers, o: WriteOptions, code: number, warnings: string[]): WriteResult {
    obj.metadata.managedFields = encodeManagers(managers);
    if (obj.metadata.managedFields === undefined) delete obj.metadata.managedFields;
    if (old) {
      const unchanged = deepEqual({ ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }, { ...old.obj, metadata: { ...old.obj.metadata, resourceVersion: undefined } });
      if (unchanged) return { obj: old.obj, code, warnings };
      obj.metadata.resourceVersion = old.obj.metadata.resourceVersion;
      if (o.dryRun) return { obj, code, warnings };
      // The last finalizer of an object being deleted is gone: it is deleted; the answer is the object as last written.
      if (obj.metadata.deletionTimestamp && !((obj.metadata.finalizers ?? []) as string[]).length) {
        old.obj = obj;
        this.store.remove(old);
        return { obj, code, warnings };
      }
      return { obj: this.store.replace(old, obj, managers), code, warnings };
    }
    if (o.dryRun) return { obj, code, warnings };
    return { obj: this.store.add(t, obj, managers).obj, code, warnings };
  }

  // ------------------------------------------------------------------------------ create (POST)

  create(t: ServedType, namespace: string | undefined, body: unknown, o: WriteOptions): WriteResult {
    const warnings: string[] = [];
    const obj = this.placed(t, namespace, body);
    if (obj.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    this.decode(t, obj, o.fieldValidation, warnings);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    if (!obj.metadata.name) throw invalid(t, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
    this.admitNamespace(t, obj.metadata.namespace, obj.metadata.name, true);
    for (const f of SYSTEM_METADATA) delete obj.metadata[f];
    if (t.statusSubresource && !o.keepStatus) delete obj.status;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = this.store.now();
    const decoded = this.decodeStage(t, obj);
    const { managers } = updateFields(this.ctx(t), undefined, bare(decoded)!, new Map(), o.manager, '');
    const finished = this.prepareStage(t, decoded, undefined, o.keepStatus);
    this.admitPermissions(t, finished, undefined, o.user ?? ADMIN);
    if (this.store.get(t, finished.metadata.namespace, finished.metadata.name)) throw alreadyExists(t, finished.metadata.name);
    return this.commit(t, undefined, finished, managers, o, 201, warnings);
  }

  // ------------------------------------------------------------------------------ update (PUT) and patches

  /** The object a write to `subresource` leaves: the rest of the object comes from the stored one. */
  private scoped(t: ServedType, old: Obj, candidate: Obj, subresource: string): Obj {
    if (subresource === 'status') {
      const o = clone(old);
      if (candidate.status === undefined) delete o.status;
      else o.status = clone(candidate.status);
      return o;
    }
    const o = clone(candidate);
    for (const f of SYSTEM_METADATA) {
      if (old.metadata[f] === undefined) delete o.metadata[f];
      else o.metadata[f] = old.metadata[f];
    }
    if (t.statusSubresource) {
      if (old.status === undefined) delete o.status;
      else o.status = clone(old.status);
    }
    return o;
  }

  /** The shared end of update and patch: `candidate` is the whole new object. */
  private replaceWith(t: ServedType, e: Entry, candidate: Obj, subresource: string, o: WriteOptions, warnings: string[]): WriteResult {
    this.admitNamespace(t, e.obj.metadata.namespace, e.obj.metadata.name, false);
    const decoded = this.decodeStage(t, this.scoped(t, e.obj, candidate, subresource));
    const { managers } = updateFields(this.ctx(t), bare(e.obj), bare(decoded)!, e.managers, o.manager, subresource);
    const finished = this.prepareStage(t, decoded, e);
    this.admitPermissions(t, finished, e.obj, o.user ?? ADMIN);
    return this.commit(t, e, finished, managers, o, 200, warnings);
  }

  update(t: ServedType, namespace: string | undefined, name: string, body: unknown, subresource: string, o: WriteOptions): WriteResult {
    const warnings: string[] = [];
    const obj = this.placed(t, namespace, body, name);
    const e = this.store.mustGet(t, namespace, name);
    const rv = obj.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (t.custom) {
        throw invalidResource(t, name, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
      }
    } else if (String(rv) !== e.obj.metadata.resourceVersion) throw staleResourceVersion(t, name);
    this.decode(t, obj, o.fieldValidation, warnings);
    return this.replaceWith(t, e, obj, subresource, o, warnings);
  }

  patch(t: ServedType, namespace: string | undefined, name: string, contentType: string | undefined, text: string, subresource: string, o: WriteOptions): WriteResult {
    if (o.force) throw invalidOptions('PatchOptions', [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }]);
    const e = this.store.mustGet(t, namespace, name);
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const current = bare(e.obj)!;
    let next: unknown;
    if (contentType === 'application/merge-patch+json') next = mergePatch(current, patch);
    else if (contentType === 'application/strategic-merge-patch+json') {
      if (t.custom) throw unsupportedMediaType(contentType);
      next = strategicMergePatch(SCHEMAS, t.schema, current, patch);
    } else if (contentType === 'application/json-patch+json') next = jsonPatch(current, patch);
    else throw unsupportedMediaType(contentType);
    if (!isObject(next)) throw badRequest('the patch did not produce an object');
    const rv = isObject(patch) && isObject(patch.metadata) ? patch.metadata.resourceVersion : undefined;
    if (rv !== undefined && rv !== null && String(rv) !== e.obj.metadata.resourceVersion) throw staleResourceVersion(t, name);
    next.metadata = { ...next.metadata, resourceVersion: e.obj.metadata.resourceVersion };
    const warnings: string[] = [];
    this.decode(t, next, o.fieldValidation, warnings);
    return this.replaceWith(t, e, this.placed(t, namespace, next, name), subresource, o, warnings);
  }

  // ------------------------------------------------------------------------------ server-side apply

  apply(t: ServedType, namespace: string | undefined, name: string, text: string, subresource: string, o: WriteOptions): WriteResult {
    if (!o.manager) {
      throw invalidOptions('PatchOptions', [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
    }
    let body: unknown;
    try {
      body = yaml.load(text);
    } catch (err) {
      throw badRequest(`error decoding YAML: error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`);
    }
    if (!isObject(body)) throw badRequest('error decoding YAML: the body is not an object');
    if (isObject(body.metadata) && body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (isObject(body.metadata) && body.metadata.namespace !== undefined && t.namespaced && body.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (body.apiVersion !== t.apiVersion) throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${body.apiVersion ?? ''}, expected: ${t.apiVersion}`);
    if (body.kind !== t.kind) {
      throw internal(`failed to merge config: expected objects of the same type, but got {<pointer> {<nil> <nil> <nil>} <nil>} and {<pointer> {<nil> <nil> <nil>} <nil>}`);
    }
    if (isObject(body.metadata) && body.metadata.managedFields !== undefined) {
      throw badRequest('metadata.managedFields must be nil');
    }
    const config = clone(body);
    config.metadata = { ...(isObject(config.metadata) ? config.metadata : {}), name, ...(t.namespaced ? { namespace } : {}) };
    const e = this.store.get(t, namespace, name);
    if (!e && subresource) throw this.notFoundFor(t, name);
    this.admitNamespace(t, namespace, name, !e);
    const where = `(${t.namespaced ? `${namespace}/` : ''}${name}; ${t.group}/${t.version}, Kind=${t.kind})`;
    const typeErrors = checkTyped(SCHEMAS, t.schema, config);
    if (typeErrors.length > 0) throw internal(`failed to create typed patch object ${where}: ${typeErrors.join('\n')}`);
    if (t.kind === 'Secret' && t.group === '') {
      for (const v of Object.values((config.data ?? {}) as Record<string, unknown>)) {
        const err = typeof v === 'string' ? base64Error(v) : undefined;
        if (err) {
          throw internal(`failed to convert new object (${namespace}/${name}; /v1, Kind=Secret) to proper version: unable to convert unstructured object to /v1, Kind=Secret: error decoding from json: ${err}`);
        }
      }
    }
    // What each endpoint may write: /status only status, the main resource everything else.
    if (subresource === 'status') {
      for (const k of Object.keys(config)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete config[k];
      config.metadata = { name, ...(t.namespaced ? { namespace } : {}) };
    } else if (t.statusSubresource) delete config.status;

    const live = bare(e?.obj);
    let result;
    try {
      result = applyFields(this.ctx(t), live, config, e?.managers ?? new Map(), o.manager, subresource, o.force ?? false);
    } catch (err) {
      if (err instanceof ConflictError) {
        throw new StatusError(409, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: err.message,
          reason: 'Conflict',
          details: { causes: err.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: pathString(c.path) })) },
          code: 409,
        });
      }
      throw err;
    }
    const obj = result.obj;
    obj.apiVersion = t.apiVersion;
    obj.kind = t.kind;
    obj.metadata = isObject(obj.metadata) ? obj.metadata : {};
    obj.metadata.name = name;
    if (t.namespaced) obj.metadata.namespace = namespace;
    const warnings: string[] = [];
    if (!e) {
      for (const f of SYSTEM_METADATA) delete obj.metadata[f];
      obj.metadata.uid = randomUUID();
      obj.metadata.creationTimestamp = this.store.now();
      const finished = this.prepareStage(t, this.decodeStage(t, obj), undefined);
      this.admitPermissions(t, finished, undefined, o.user ?? ADMIN);
      this.stamp(result.managers, o.manager, subresource, true);
      return this.commit(t, undefined, finished, result.managers, o, 201, warnings);
    }
    const finished = this.prepareStage(t, this.decodeStage(t, this.scoped(t, e.obj, obj, subresource)), e);
    this.admitPermissions(t, finished, e.obj, o.user ?? ADMIN);
    const changed = !deepEqual(bare({ ...finished, metadata: { ...finished.metadata, resourceVersion: undefined } }), bare({ ...e.obj, metadata: { ...e.obj.metadata, resourceVersion: undefined } }));
    this.stamp(result.managers, o.manager, subresource, changed);
    return this.commit(t, e, finished, result.managers, o, 200, warnings);
  }

  /** A write of spec.replicas through /scale (an autoscaler, `kubectl scale`): its entry has no time, as upstream records it. */
  scale(t: ServedType, e: Entry, replicas: number, resourceVersion: string | undefined, o: WriteOptions, recordOwner: boolean): WriteResult {
    if (resourceVersion && resourceVersion !== e.obj.metadata.resourceVersion) throw staleResourceVersion(t, e.obj.metadata.name);
    const candidate = clone(bare(e.obj)!);
    candidate.spec = { ...(candidate.spec ?? {}), replicas };
    const decoded = this.decodeStage(t, candidate);
    const { managers } = updateFields(this.ctx(t), bare(e.obj), bare(decoded)!, e.managers, o.manager, 'scale');
    const finished = this.prepareStage(t, decoded, e);
    const key = managerKey(o.manager, 'Update', 'scale');
    if (recordOwner) delete managers.get(key)?.time;
    else managers.delete(key);
    return this.commit(t, e, finished, managers, o, 200, []);
  }

  /** An applier's entry takes the time of the write only when the object changed. */
  private stamp(managers: Managers, manager: string, subresource: string, changed: boolean): void {
    const entry = managers.get(managerKey(manager, 'Apply', subresource));
    if (entry && changed) entry.time = this.store.now();
  }

  notFoundFor(t: ServedType, name: string): StatusError {
    return new StatusError(404, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${t.plural}${t.group ? `.${t.group}` : ''} "${name}" not found`,
      reason: 'NotFound',
      details: { name, ...(t.group ? { group: t.group } : {}), kind: t.plural },
      code: 404,
    });
  }
}

