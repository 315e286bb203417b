// The seeds' procedures select pods by label (`oc get pod -l ...`): each selector they use on the
// operator's pods must match the pod it means in a render of the default registry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderRegistry } from '../../lib/synth';
import { testModel } from '../support/model';

const SEEDS = path.resolve(__dirname, '../../../shared/seeds');

/** Every `oc|kubectl ... get pod -l <selector>` in the seeds (NooBaa's own objects aside). */
function seedPodSelectors(): string[] {
  const found = new Set<string>();
  for (const file of fs.readdirSync(SEEDS)) {
    const text = fs.readFileSync(path.join(SEEDS, file), 'utf8');
    for (const m of text.matchAll(/\b(?:oc|kubectl)\b[^\n]*?\bget pods? -l ([\w./-]+=[\w.-]+)/g)) found.add(m[1]);
  }
  return [...found].sort();
}

/** Which rendered pod templates (by their workload's name) a `k=v` selector matches. */
function matching(selector: string): string[] {
  const [k, v] = selector.split('=');
  return renderRegistry(testModel())
    .objects.filter((o) => o.kind === 'Deployment' && (o as any).spec.template.metadata.labels?.[k] === v)
    .map((o) => o.metadata.name);
}

describe("the seeds' pod selectors", () => {
  test('the seeds use these (a new one needs a row below)', () => {
    expect(seedPodSelectors()).toEqual(['app=quay', 'quay-component=postgres']);
  });

  test.each([
    // The backup procedure reads DB_URI from /conf/stack/config.yaml of a Quay pod.
    ['app=quay', ['example-registry-quay-app']],
    // ...and dumps the database from the postgres pod.
    ['quay-component=postgres', ['example-registry-quay-database']],
  ])('%s selects %j', (selector, pods) => {
    expect(matching(selector)).toEqual(pods);
  });
});
