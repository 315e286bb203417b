// Section 4: the operator as the issue measured it: the binary (`quay-operator run`, with the node
// flags of its manifests) against the fake API server, one registry created after start and rolled
// out, then a quiet spell while the cluster churns as it does at rest (HPAs scale Deployments from 1
// to 2 pods, a pod is replaced). Reported: CPU to /readyz and for the whole run, reads (GETs but
// watches), watches and writes until Available, writes in the quiet spell (redundant ones: accepted
// but changing nothing), flaps of Available, RSS at rest and at its peak.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BIN, NODE_FLAGS, operatorEnv } from './operator';
import { kubeConfigYaml, startFakeServer } from './fake';
import type { ServerCounts } from './reconcile';
import { freePort, waitForReadyz } from './startup';
import { cpuMsOfPid, peakRssOfPid, rssOfPid, round, sleep, waitFor } from './stats';

export interface ProcessResult {
  /** Node flags the operator ran with (its manifests'). */
  readonly nodeFlags: string[];
  readonly readyMs: number;
  /** CPU (user + system) from spawn to /readyz 200. */
  readonly readyCpuMs: number;
  readonly toAvailableMs: number;
  /** Start → Available: what the operator asked of the API server. */
  readonly untilAvailable: ServerCounts;
  readonly quietMs: number;
  /** The quiet spell: the cluster churning, the registry unchanged. */
  readonly quiet: ServerCounts;
  readonly idleRssMiB: number;
  readonly peakRssMiB: number;
  /** CPU of the whole run (start, rollout, quiet spell). */
  readonly cpuMs: number;
}


export async function processBench(o: { quietMs: number; timeoutMs: number }): Promise<ProcessResult> {
  const fake = await startFakeServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quay-operator-bench-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, kubeConfigYaml(fake.url, fake.token));
  const port = await freePort();
  const output: string[] = [];
  await fake.child.call('clear');
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...NODE_FLAGS, BIN, 'run', '--kubeconfig', kubeconfig, '--health-port', String(port), '--metrics-port', String(port), '--reconfigure-port', '0', '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: operatorEnv(),
  });
  proc.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const pid = proc.pid ?? -1;
  try {
    await waitForReadyz(proc, output, port, o.timeoutMs);
    const readyMs = round(performance.now() - t0);
    const readyCpuMs = cpuMsOfPid(pid);
    const created = performance.now();
    await fake.child.call('create', { from: 0, count: 1 });
    await waitFor('the registry to be Available', async () => ((await fake.child.call<{ available: number }>('progress', { from: 0, count: 1 })).available === 1 ? true : undefined), o.timeoutMs, 10);
    const toAvailableMs = round(performance.now() - created);
    const untilAvailable = await fake.child.call<ServerCounts>('requests');

    // At rest: the operator's own follow-up reconciles settle, then the cluster churns.
    await sleep(1000);
    await fake.child.call('clear');
    const quietStart = performance.now();
    for (let step = 0; ; step++) {
      const { more } = await fake.child.call<{ more: boolean }>('churn', { index: 0, step });
      await sleep(500);
      if (!more) break;
    }
    await sleep(Math.max(0, o.quietMs - (performance.now() - quietStart)));
    const quiet = await fake.child.call<ServerCounts>('requests');
    return {
      nodeFlags: NODE_FLAGS,
      readyMs,
      readyCpuMs,
      toAvailableMs,
      untilAvailable,
      quietMs: round(performance.now() - quietStart),
      quiet,
      idleRssMiB: rssOfPid(pid),
      peakRssMiB: peakRssOfPid(pid),
      cpuMs: cpuMsOfPid(pid),
    };
  } finally {
    proc.kill('SIGTERM');
    await exited;
    await fake.child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
