// Watches: newline-delimited JSON events on a chunked 200 answer, as the API server streams them.
// From resourceVersion "0" or none: a synthetic ADDED for every matching object first. From a
// list's resourceVersion: every change since, in order. From one the log no longer holds: a single
// ERROR event with a 410 Expired Status, then the end of the stream. An object that stops matching
// the selector arrives as DELETED, with its previous content and the new resourceVersion.
import type * as http from 'node:http';
import { expired } from './errors';
import { FieldRequirement, fieldsMatch, LabelRequirement, labelsMatch } from './selectors';
import { ServedType } from './resources';
import { Store, StoreEvent, typeKey } from './store';

type Obj = Record<string, any>;

export interface WatchRequest {
  readonly type: ServedType;
  readonly namespace?: string;
  readonly labels: readonly LabelRequirement[];
  readonly fields: readonly FieldRequirement[];
  readonly bookmarks: boolean;
  readonly resourceVersion: string;
  readonly timeoutSeconds?: number;
}

export class OpenWatch {
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  closed = false;

  constructor(
    readonly request: WatchRequest,
    private readonly res: http.ServerResponse,
    private readonly onClose: (w: OpenWatch) => void,
  ) {}

  private matches(obj: Obj): boolean {
    const r = this.request;
    if (r.type.namespaced && r.namespace !== undefined && obj.metadata.namespace !== r.namespace) return false;
    return labelsMatch(obj.metadata.labels, r.labels) && fieldsMatch(obj, r.fields);
  }

  send(type: string, object: Obj): void {
    if (this.closed || this.res.destroyed || this.res.writableEnded) return;
    const withKind = object.kind === 'Status' ? object : { ...object, apiVersion: this.request.type.apiVersion, kind: this.request.type.kind };
    this.res.write(`${JSON.stringify({ type, object: withKind })}\n`);
  }

  deliver(ev: StoreEvent): void {
    if (ev.typeKey !== typeKey(this.request.type)) return;
    const now = this.matches(ev.obj);
    if (ev.type === 'MODIFIED' && ev.prev) {
      const before = this.matches(ev.prev);
      if (before && now) this.send('MODIFIED', ev.obj);
      else if (now) this.send('ADDED', ev.obj);
      else if (before) this.send('DELETED', { ...ev.prev, metadata: { ...ev.prev.metadata, resourceVersion: ev.obj.metadata.resourceVersion } });
    } else if (now) this.send(ev.type, ev.obj);
  }

  start(store: Store): void {
    const r = this.request;
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    this.res.flushHeaders();
    if (r.resourceVersion === '' || r.resourceVersion === '0') {
      for (const e of store.list(r.type, r.namespace)) if (this.matches(e.obj)) this.send('ADDED', e.obj);
    } else {
      const from = Number(r.resourceVersion);
      const events = Number.isInteger(from) ? store.since(from) : undefined;
      if (!events) {
        this.send('ERROR', expired(`too old resource version: ${r.resourceVersion} (${store.compactedThrough + 1})`));
        this.close();
        return;
      }
      for (const ev of events) this.deliver(ev);
    }
    this.unsubscribe = store.onEvent((ev) => this.deliver(ev));
    this.res.on('close', () => this.close());
    if (r.timeoutSeconds && r.timeoutSeconds > 0) {
      this.timer = setTimeout(() => this.close(), r.timeoutSeconds * 1000);
      this.timer.unref();
    }
  }

  bookmark(resourceVersion: string): void {
    if (this.request.bookmarks) this.send('BOOKMARK', { apiVersion: this.request.type.apiVersion, kind: this.request.type.kind, metadata: { resourceVersion } });
  }

  /** Ends the stream as the server does at a timeout or shutdown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    if (!this.res.writableEnded) this.res.end();
    this.onClose(this);
  }

  /** Drops the connection, as a network failure would. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    this.res.socket?.destroy();
    this.onClose(this);
  }
}
