// The operator's probe and metrics endpoint: /healthz (liveness), /readyz (readiness), /metrics.
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { CONTENT_TYPE } from './metrics';

export interface ProbeServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Default: all interfaces. */
  readonly host?: string;
  isReady(): boolean;
  isHealthy(): boolean;
  metrics(): string;
}

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  return listen((req, res) => handle(options, req, res), options.port, options.host);
}

/** An HTTP server on `port` (0: a free one), closed with its open connections. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port: number, host?: string): Promise<ProbeServer> {
  const server: Server = createServer(handler);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function handle(options: ProbeServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/healthz':
    case '/livez':
      probe(req, res, () => options.isHealthy());
      return;
    case '/readyz':
      probe(req, res, () => options.isReady());
      return;
    case '/metrics': {
      let body: string;
      try {
        body = options.metrics();
      } catch (err) {
        send(req, res, 500, `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`, 'text/plain; charset=utf-8');
        return;
      }
      send(req, res, 200, body, CONTENT_TYPE);
      return;
    }
    default:
      send(req, res, 404, 'not found\n', 'text/plain; charset=utf-8');
  }
}

function probe(req: IncomingMessage, res: ServerResponse, check: () => boolean): void {
  let ok = false;
  try {
    ok = check();
  } catch {
    ok = false;
  }
  send(req, res, ok ? 200 : 503, ok ? 'ok' : 'not ok', 'text/plain; charset=utf-8');
}

export function send(req: IncomingMessage, res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}
