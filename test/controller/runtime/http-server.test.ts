import { request } from 'node:http';
import { startProbeServer } from '../../../lib/controller/runtime/http-server';
import { Registry } from '../../../lib/controller/runtime/metrics';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type?: string; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('probe server', () => {
  it('serves /healthz, /readyz and /metrics', async () => {
    let ready = false;
    let healthy = true;
    const registry = new Registry();
    registry.counter({ name: 'quay_operator_reconcile_total', help: 'Reconciles.' }).inc();
    const server = await startProbeServer({ port: 0, host: '127.0.0.1', isReady: () => ready, isHealthy: () => healthy, metrics: () => registry.render() });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(await get(server.port, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
      expect(await get(server.port, '/readyz')).toMatchObject({ status: 503, body: 'not ok' });
      ready = true;
      healthy = false;
      expect(await get(server.port, '/readyz')).toMatchObject({ status: 200, body: 'ok' });
      expect(await get(server.port, '/healthz')).toMatchObject({ status: 503 });
      const metrics = await get(server.port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(metrics.body).toBe('# HELP quay_operator_reconcile_total Reconciles.\n# TYPE quay_operator_reconcile_total counter\nquay_operator_reconcile_total 1\n');
      expect(await get(server.port, '/readyz?verbose=1')).toMatchObject({ status: 200 });
      expect(await get(server.port, '/healthz', 'HEAD')).toMatchObject({ status: 503, body: '' });
      expect(await get(server.port, '/nope')).toMatchObject({ status: 404 });
      expect(await get(server.port, '/healthz', 'POST')).toMatchObject({ status: 405 });
    } finally {
      await server.close();
    }
    await expect(get(server.port, '/healthz')).rejects.toThrow();
  });

  it('answers 503 when a check throws and 500 when metrics fail', async () => {
    const server = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      isReady: () => {
        throw new Error('x');
      },
      isHealthy: () => true,
      metrics: () => {
        throw new Error('collector broke');
      },
    });
    try {
      expect(await get(server.port, '/readyz')).toMatchObject({ status: 503 });
      expect(await get(server.port, '/metrics')).toMatchObject({ status: 500, body: 'metrics failed: collector broke\n' });
    } finally {
      await server.close();
      await server.close(); // idempotent
    }
  });

  it('fails to start on a port in use', async () => {
    const first = await startProbeServer({ port: 0, host: '127.0.0.1', isReady: () => true, isHealthy: () => true, metrics: () => '' });
    try {
      await expect(startProbeServer({ port: first.port, host: '127.0.0.1', isReady: () => true, isHealthy: () => true, metrics: () => '' })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('answers plain text that is never cached: /livez as /healthz, 404 and 405 with what is allowed', async () => {
    const server = await startProbeServer({ port: 0, host: '127.0.0.1', isReady: () => true, isHealthy: () => true, metrics: () => '' });
    const text = 'text/plain; charset=utf-8';
    try {
      const pick = ({ status, body, headers }: Awaited<ReturnType<typeof get>>) => ({
        status,
        body,
        type: headers['content-type'],
        cache: headers['cache-control'],
        allow: headers['allow'],
        length: headers['content-length'],
      });
      expect(pick(await get(server.port, '/livez'))).toEqual({ status: 200, body: 'ok', type: text, cache: 'no-store', allow: undefined, length: '2' });
      expect(pick(await get(server.port, '/nope'))).toEqual({ status: 404, body: 'not found\n', type: text, cache: 'no-store', allow: undefined, length: '10' });
      expect(pick(await get(server.port, '/metrics', 'DELETE'))).toEqual({ status: 405, body: 'method not allowed\n', type: text, cache: 'no-store', allow: 'GET, HEAD', length: '19' });
    } finally {
      await server.close();
    }
  });

  it('a failing metrics collector that throws a non-Error is reported as text', async () => {
    const server = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      isReady: () => true,
      isHealthy: () => true,
      metrics: () => {
        throw 'no registry';
      },
    });
    try {
      expect(await get(server.port, '/metrics')).toMatchObject({ status: 500, type: 'text/plain; charset=utf-8', body: 'metrics failed: no registry\n' });
    } finally {
      await server.close();
    }
  });
});
