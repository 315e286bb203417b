// The one call the operator makes to Quay itself: POST /api/v1/user/initialize (the seeds' first-user
// step), to the quay-app Service inside the cluster. When Quay serves the user's certificate the
// call goes over TLS and is accepted only from a server presenting exactly that certificate (the
// Service's name is not in it, and the password must not go to anyone else).
import * as http from 'node:http';
import * as https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

export interface QuayAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface QuayTarget {
  /** e.g. http://example-registry-quay-app.quay-enterprise.svc:80 */
  readonly baseUrl: string;
  /** PEM of the certificate Quay serves, when the call is https. */
  readonly pinnedCertificate?: Buffer;
  /** How long to wait for an answer (default 15 s). */
  readonly timeoutMs?: number;
}

/** Answers larger than this are cut (Quay's are a few hundred bytes). */
const MAX_ANSWER = 64 * 1024;
const TIMEOUT_MS = 15_000;

export type QuayApi = (target: QuayTarget, path: string, body: unknown) => Promise<QuayAnswer>;

export const postToQuay: QuayApi = (target, path, body) =>
  new Promise((resolve, reject) => {
    const url = new URL(path, target.baseUrl);
    const payload = Buffer.from(JSON.stringify(body));
    const headers = { 'Content-Type': 'application/json', 'Content-Length': payload.length };
    const pinned = target.pinnedCertificate ? new X509Certificate(target.pinnedCertificate).raw : undefined;
    const onAnswer = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_ANSWER) chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): kept as text.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { method: 'POST', headers, rejectUnauthorized: false }, onAnswer)
        : http.request(url, { method: 'POST', headers }, onAnswer);
    const timeoutMs = target.timeoutMs ?? TIMEOUT_MS;
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url.origin} in ${timeoutMs / 1000} s`)));
    if (pinned) {
      // Checked before the body is sent: the password goes only to the certificate Quay serves.
      req.on('socket', (socket) =>
        socket.once('secureConnect', () => {
          const peer = (socket as TLSSocket).getPeerCertificate();
          if (!peer?.raw || !peer.raw.equals(pinned)) req.destroy(new Error(`${url.origin} did not present the certificate Quay serves`));
        }),
      );
    }
    req.on('error', reject);
    req.end(payload);
  });
