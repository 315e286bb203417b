// Section 1: synthesis. Each function runs in a worker process of its own, so peak RSS is its own.
import { performance } from 'node:perf_hooks';
import { renderRegistry } from '../lib/synth';
import { toYamlStream } from '../lib/yaml';
import { testModel } from '../test/support/model';
import { registryName, registryNamespace } from './names';
import { Summary, memory, round, summarize } from './stats';

export interface SynthResult {
  readonly warmup: number;
  readonly render: Summary;
  readonly objects: number;
  readonly yamlBytes: number;
  readonly yaml: Summary;
}

/** The default all-managed registry (testModel(): OpenShift, bucket bound), rendered again and again. */
export function synthWorker(o: { renders: number; warmup: number }): SynthResult {
  const model = testModel();
  for (let i = 0; i < o.warmup; i++) renderRegistry(model);
  const samples: number[] = [];
  for (let i = 0; i < o.renders; i++) {
    const t = performance.now();
    renderRegistry(model);
    samples.push(performance.now() - t);
  }
  const { objects } = renderRegistry(model);
  const yamlSamples: number[] = [];
  let yaml = '';
  for (let i = 0; i < Math.min(o.renders, 50); i++) {
    const t = performance.now();
    yaml = toYamlStream(objects);
    yamlSamples.push(performance.now() - t);
  }
  return { warmup: o.warmup, render: summarize(samples), objects: objects.length, yamlBytes: Buffer.byteLength(yaml), yaml: summarize(yamlSamples) };
}

export interface RenderManyResult {
  readonly n: number;
  /** Building the N models (buildModel), not counted in totalMs. */
  readonly modelsMs: number;
  readonly totalMs: number;
  readonly msPerRegistry: number;
  readonly objects: number;
  readonly before: ReturnType<typeof memory>;
  readonly after: ReturnType<typeof memory>;
}

/** N distinct registries (own name and namespace) rendered one after another in one process. */
export function renderManyWorker(o: { n: number; warmup: number }): RenderManyResult {
  const warm = testModel({ name: 'warm-up', namespace: 'warm-up' });
  for (let i = 0; i < o.warmup; i++) renderRegistry(warm);
  let t = performance.now();
  const models = Array.from({ length: o.n }, (_, i) => testModel({ name: registryName(i), namespace: registryNamespace(i) }));
  const modelsMs = performance.now() - t;
  const before = memory();
  let objects = 0;
  t = performance.now();
  for (const m of models) objects += renderRegistry(m).objects.length;
  const totalMs = performance.now() - t;
  return { n: o.n, modelsMs: round(modelsMs), totalMs: round(totalMs), msPerRegistry: round(totalMs / o.n), objects, before, after: memory() };
}
