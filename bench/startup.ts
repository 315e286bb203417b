// Section 3: start-up of the operator binary (`quay-operator run`) against the fake API server:
// process start → /readyz answers 200 (cluster discovered, informers synced), and RSS at idle.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { kubeConfigYaml, startFakeServer } from './fake';
import { Summary, cpuMsOfPid, rssOfPid, sleep, summarize, waitFor } from './stats';
import { BIN, NODE_FLAGS, operatorEnv } from './operator';

export interface StartupResult {
  readonly runs: number;
  /** Spawn → /readyz 200. */
  readonly readyMs: Summary;
  /** CPU (user + system) the process used until /readyz answered 200. */
  readonly readyCpuMs: Summary;
  /** RSS after idling for idleWaitMs once ready. */
  readonly idleRssMiB: Summary;
  readonly idleWaitMs: number;
  /** SIGTERM → exit (graceful shutdown). */
  readonly stopMs: Summary;
  /** `node -e 0`: the floor every start-up pays. */
  readonly nodeBareMs: Summary;
}


export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function httpStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Polls the operator's /readyz every 2 ms; fails with its last output when it exits first. */
export async function waitForReadyz(proc: ChildProcess, output: readonly string[], port: number, timeoutMs: number): Promise<void> {
  await waitFor(
    'the operator to be ready',
    async () => {
      if (proc.exitCode !== null) throw new Error(`the operator exited with ${proc.exitCode}: ${output.join('').slice(-2000)}`);
      return (await httpStatus(`http://127.0.0.1:${port}/readyz`)) === 200 ? true : undefined;
    },
    timeoutMs,
    2,
  );
}

export async function startupBench(o: { runs: number; idleWaitMs: number; timeoutMs: number }): Promise<StartupResult> {
  const fake = await startFakeServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quay-operator-bench-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeConfigYaml(fake.url, fake.token));
  const ready: number[] = [];
  const readyCpu: number[] = [];
  const rss: number[] = [];
  const stop: number[] = [];
  try {
    for (let r = 0; r < o.runs; r++) {
      const port = await freePort();
      const output: string[] = [];
      const t0 = performance.now();
      // One port for probes and metrics: the metrics server is then not started separately.
      // With the node flags of the operator's manifests, as it runs in its pod.
      const proc = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '--kubeconfig', kubeconfig, '--health-port', String(port), '--metrics-port', String(port), '--reconfigure-port', '0', '--log-level', 'error'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: operatorEnv({ LOG_LEVEL: 'error' }),
      });
      proc.stdout.on('data', (d: Buffer) => output.push(d.toString()));
      proc.stderr.on('data', (d: Buffer) => output.push(d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      try {
        await waitForReadyz(proc, output, port, o.timeoutMs);
        ready.push(performance.now() - t0);
        readyCpu.push(cpuMsOfPid(proc.pid ?? -1));
        await sleep(o.idleWaitMs);
        rss.push(rssOfPid(proc.pid ?? -1));
      } finally {
        const t1 = performance.now();
        proc.kill('SIGTERM');
        await exited;
        stop.push(performance.now() - t1);
      }
    }
  } finally {
    await fake.child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const bare: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t);
  }
  return { runs: o.runs, readyMs: summarize(ready), readyCpuMs: summarize(readyCpu), idleRssMiB: summarize(rss), idleWaitMs: o.idleWaitMs, stopMs: summarize(stop), nodeBareMs: summarize(bare) };
}
