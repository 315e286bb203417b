// A small S3 server for the backup scripts' tests: one bucket, path-style, over HTTP or HTTPS. Every
// request must carry a valid AWS Signature Version 4, recomputed here from what arrived (the path
// and query re-encoded the way AWS canonicalizes them, the signed headers, the body's SHA-256
// checked against x-amz-content-sha256) with Node's crypto; a wrong key, signature, region or
// payload is refused as S3 refuses it. Served: PUT/GET/HEAD/DELETE of objects, ListObjects
// (version 1, `maxKeys` per page and no NextMarker, so the client pages with its last key) and
// multipart uploads; faults can be injected (failNext).
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeS3Options {
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** The bucket's region: a request signed for another is refused with x-amz-bucket-region (as AWS). */
  readonly region?: string;
  /** Keys per ListObjects page. */
  readonly maxKeys?: number;
  /** HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface S3Request {
  readonly method: string;
  readonly key: string;
  readonly query: Record<string, string>;
  readonly status: number;
  /** The S3 error code of a refusal. */
  readonly error?: string;
  readonly signedHeaders?: string[];
}

interface Stored {
  body: Buffer;
  contentType: string;
  modified: Date;
}

/** AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper case). */
function awsEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class FakeS3 {
  readonly objects = new Map<string, Stored>();
  readonly requests: S3Request[] = [];
  private readonly uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  private faults: { count: number; status: number; match?: (r: { method: string; key: string; query: Record<string, string> }) => boolean }[] = [];
  private uploadCount = 0;

  private constructor(
    private readonly server: http.Server,
    readonly endpoint: string,
    private readonly options: FakeS3Options,
  ) {}

  static async start(options: FakeS3Options): Promise<FakeS3> {
    let fake: FakeS3 | undefined;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => fake!.handle(req, Buffer.concat(chunks), res));
    };
    const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    fake = new FakeS3(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, options);
    return fake;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` requests (those `match` takes, if given) answer `status` (503: the client should try again). */
  failNext(count: number, status: number, match?: (r: { method: string; key: string; query: Record<string, string> }) => boolean): void {
    this.faults.push({ count, status, ...(match ? { match } : {}) });
  }

  put(key: string, body: string | Buffer, modified = new Date()): void {
    this.objects.set(key, { body: Buffer.from(body), contentType: 'application/octet-stream', modified });
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(): number {
    return this.uploads.size;
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const bucket = segments[0];
    const key = segments.slice(1).join('/');
    const method = req.method ?? 'GET';
    const record = (status: number, error?: string, signedHeaders?: string[]) =>
      this.requests.push({ method, key, query, status, ...(error ? { error } : {}), ...(signedHeaders ? { signedHeaders } : {}) });
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      record(status, code);
      res.writeHead(status, { 'content-type': 'application/xml', ...headers });
      res.end(method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
    };

    // --- authentication: SigV4, recomputed from the request as it arrived.
    const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
    if (!auth) return fail(403, 'AccessDenied', 'no AWS Signature Version 4 Authorization header');
    const [, accessKey, day, region, signedList, signature] = auth;
    if (accessKey !== this.options.accessKey) return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const signed = signedList.split(';');
    for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) if (!signed.includes(required)) return fail(403, 'AccessDenied', `${required} is not signed`);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(day) || Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now()) > 15 * 60_000) {
      return fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payloadHash !== sha256(body)) return fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    const canonicalUri = url.pathname
      .split('/')
      .map((s) => awsEncode(decodeURIComponent(s)))
      .join('/');
    const canonicalQuery = rawQuery
      .split('&')
      .filter((p) => p !== '')
      .map((p) => {
        const [k, v = ''] = p.split('=');
        return [awsEncode(decodeURIComponent(k.replace(/\+/g, ' '))), awsEncode(decodeURIComponent(v.replace(/\+/g, ' ')))];
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalHeaders = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonical = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, payloadHash].join('\n');
    const scope = `${day}/${region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    let k = hmac(`AWS4${this.options.secretKey}`, day);
    for (const part of [region, 's3', 'aws4_request']) k = hmac(k, part);
    if (createHmac('sha256', k).update(toSign).digest('hex') !== signature) {
      return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    const bucketRegion = this.options.region ?? 'us-east-1';
    if (region !== bucketRegion) {
      return fail(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${region}' is wrong; expecting '${bucketRegion}'`, { 'x-amz-bucket-region': bucketRegion });
    }
    if (bucket !== this.options.bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const fault = this.faults.find((f) => !f.match || f.match({ method, key, query }));
    if (fault) {
      if (--fault.count <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return fault.status === 503 ? fail(503, 'SlowDown', 'Please reduce your request rate.') : fail(fault.status, 'AccessDenied', 'Access Denied');
    }

    const ok = (status: number, headers: Record<string, string | number> = {}, payload?: Buffer | string) => {
      record(status, undefined, signed);
      res.writeHead(status, headers);
      res.end(method === 'HEAD' ? undefined : payload);
    };
    const etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

    if (key === '') {
      if (method !== 'GET' || query['list-type']) return fail(400, 'NotImplemented', 'only ListObjects (version 1) here');
      const prefix = query.prefix ?? '';
      const marker = query.marker ?? '';
      const all = this.keys().filter((k2) => k2.startsWith(prefix) && k2 > marker);
      const page = all.slice(0, this.options.maxKeys ?? 1000);
      const contents = page.map((k2) => `<Contents><Key>${xmlEscape(k2)}</Key><LastModified>${this.objects.get(k2)!.modified.toISOString()}</LastModified><Size>${this.objects.get(k2)!.body.length}</Size></Contents>`).join('');
      return ok(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><Marker>${xmlEscape(marker)}</Marker><IsTruncated>${all.length > page.length}</IsTruncated>${contents}</ListBucketResult>`);
    }
    if (method === 'POST' && 'uploads' in query) {
      const id = `upload-${++this.uploadCount}`;
      this.uploads.set(id, { key, parts: new Map() });
      return ok(200, { 'content-type': 'application/xml' }, `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (query.uploadId !== undefined) {
      const upload = this.uploads.get(query.uploadId);
      if (!upload || upload.key !== key) return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
      if (method === 'PUT') {
        upload.parts.set(Number(query.partNumber), body);
        return ok(200, { etag: etag(body) });
      }
      if (method === 'DELETE') {
        this.uploads.delete(query.uploadId);
        return ok(204);
      }
      if (method === 'POST') {
        const listed = [...body.toString('utf8').matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag><\/Part>/g)].map((m) => [Number(m[1]), m[2].replace(/&quot;/g, '"')] as const);
        const parts: Buffer[] = [];
        for (const [n, tag] of listed) {
          const part = upload.parts.get(n);
          if (!part || etag(part) !== tag) return fail(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          parts.push(part);
        }
        this.objects.set(key, { body: Buffer.concat(parts), contentType: String(req.headers['content-type'] ?? ''), modified: new Date() });
        this.uploads.delete(query.uploadId);
        return ok(200, { 'content-type': 'application/xml' }, `<CompleteMultipartUploadResult><Key>${xmlEscape(key)}</Key></CompleteMultipartUploadResult>`);
      }
    }
    if (method === 'PUT') {
      this.objects.set(key, { body, contentType: String(req.headers['content-type'] ?? ''), modified: new Date() });
      return ok(200, { etag: etag(body) });
    }
    const found = this.objects.get(key);
    if (method === 'DELETE') {
      this.objects.delete(key);
      return ok(204);
    }
    if (method === 'GET' || method === 'HEAD') {
      if (!found) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
      return ok(200, { 'content-length': found.body.length, 'content-type': found.contentType, etag: etag(found.body) }, found.body);
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}
