// The HTTP side of POST /reconfigure (lib/controller/reconfigure.ts): method, path, body size.
import { IncomingMessage, ServerResponse } from 'node:http';
import { RECONFIGURE_PATH } from '../../editor';
import type { ReconfigureDeps } from '../reconfigure';
import { ProbeServer, listen, send } from './http-server';

const JSON_TYPE = 'application/json';

export function startReconfigureServer(deps: ReconfigureDeps, port: number, host?: string): Promise<ProbeServer> {
  return listen((req, res) => void serve(deps, req, res), port, host);
}

async function serve(deps: ReconfigureDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reply = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => send(req, res, status, `${JSON.stringify(body)}\n`, JSON_TYPE, headers);
  if ((req.url ?? '/').split('?')[0] !== RECONFIGURE_PATH) return reply(404, { error: 'not found' });
  if (req.method !== 'POST') return reply(405, { error: 'method not allowed' }, { Allow: 'POST' });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Loaded at the first commit: it builds the model (YAML, the bundle's checks), which idle operators never need.
    const { MAX_RECONFIGURE_BYTES, handleReconfigure } = await import('../reconfigure');
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_RECONFIGURE_BYTES) {
        reply(413, { error: `body larger than ${MAX_RECONFIGURE_BYTES} bytes` }, { Connection: 'close' });
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const answer = await handleReconfigure(deps, { authorization: req.headers.authorization, body: Buffer.concat(chunks) });
    reply(answer.status, answer.body, answer.status === 401 ? { 'WWW-Authenticate': 'Basic realm="quay-operator"' } : {});
  } catch (err) {
    deps.logger.error('config editor commit failed', { err: (err as Error).message });
    if (!res.headersSent) reply(503, { error: 'the operator could not commit the bundle now; try again' });
  }
}
