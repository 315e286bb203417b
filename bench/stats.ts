// Small helpers for the benchmark: summaries of samples, memory figures, rounding and a text table.
import * as fs from 'node:fs';

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    median: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(sum / Math.max(1, sorted.length)),
  };
}

/** Two decimals: enough for ms and MiB, and stable in results.json. */
export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const MiB = 1024 * 1024;

/** This process: resident set now and its peak (getrusage maxRSS), in MiB. */
export function memory(): { rssMiB: number; peakRssMiB: number; heapUsedMiB: number } {
  const m = process.memoryUsage();
  return {
    rssMiB: round(m.rss / MiB),
    // maxRSS is in KiB on Linux and macOS.
    peakRssMiB: round((process.resourceUsage().maxRSS * 1024) / MiB),
    heapUsedMiB: round(m.heapUsed / MiB),
  };
}

/** Another process's resident set in MiB (Linux /proc), or NaN where unavailable. */
export function rssOfPid(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return kb ? round(Number(kb[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Another process's peak resident set (VmHWM) in MiB, or NaN. */
export function peakRssOfPid(pid: number): number {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? round(Number(kb[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Another process's CPU time so far (user + system; /proc/<pid>/stat, in clock ticks of 10 ms), or NaN. */
export function cpuMsOfPid(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined), or throws after timeoutMs. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Formats a number for the table: fixed decimals, '-' for missing. */
export function fmt(x: number | undefined, decimals = 2): string {
  if (x === undefined || Number.isNaN(x)) return '-';
  return x.toFixed(decimals);
}

/** A plain text table: the first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
