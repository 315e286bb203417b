// The bad-input corpus (issue 14): hundreds of malformed, hostile, wrong and huge inputs, generated
// (corpus-lib/*-cases.ts) and hand-written (corpus/*.yaml), each with the outcome it must have, run
// through the CLI (validate and synth) and the controller (fake API server). `npm test` runs a fixed
// subset; `npm run test:hardening` runs every case. Both print `N passed, M failed`.
import { Obj } from './corpus-lib/case';
import { allCases } from './corpus-lib/index';
import { cliArgs, judgeCliRun, removeWorkDir, runBinary, runInProcess } from './corpus-lib/run-cli';
import { ControllerCorpus, Submitted, judgeController } from './corpus-lib/run-controller';
import { SCENARIOS } from './corpus-lib/scenarios';
import { Tally } from './corpus-lib/tally';
import { FULL, selectCases } from './mode';
import { admitRoutes, bindBucket, completeJob, eventually, settleDeployments } from '../support/cluster-sim';

jest.setTimeout(120_000);

const cases = allCases();
const tally = new Tally();
const cliCases = selectCases(cases.filter((c) => c.targets.includes('cli')), 5);
const controllerCases = selectCases(cases.filter((c) => c.targets.includes('controller')), 6);
const scenarios = selectCases(SCENARIOS, 3);

afterAll(() => {
  const handwritten = cases.filter((c) => c.file).length;
  const counts = `${cases.length + SCENARIOS.length} cases: ${handwritten} hand-written, ${cases.length - handwritten} generated, ${SCENARIOS.length} scenarios; ${FULL ? 'all run' : 'the fast subset runs'} ${cliCases.length} through the CLI, ${controllerCases.length + scenarios.length} through the controller`;
  process.stdout.write(`\nbad-input corpus: ${counts}\n${tally.summary()}\n`);
});

describe('bad-input corpus: the CLI', () => {
  afterAll(removeWorkDir);

  test.each(cliCases)('$id: $title', (c) =>
    tally.run('CLI', c.id, async () => {
      const args = cliArgs(c);
      const runs = [await runInProcess('validate', args), await runInProcess('synth', args)];
      // A process per run costs ~0.4 s: the fast subset spawns only the cases marked `always`.
      if (c.spawn && (FULL || c.always)) runs.push(runBinary('synth', args));
      if (c.spawn && FULL) runs.push(runBinary('validate', args));
      expect(runs.flatMap((r) => judgeCliRun(c, r))).toEqual([]);
    }),
  );
});

describe('bad-input corpus: the bundle Secret changing under the controller', () => {
  // A controller of their own: they wait for it to be idle, which a busy corpus never is.
  let corpus: ControllerCorpus;
  beforeAll(async () => {
    corpus = await ControllerCorpus.start();
  });
  afterAll(async () => {
    await corpus?.stop();
  });

  test.each(scenarios)('$id: $title', (sc) =>
    tally.run('controller', sc.id, async () => {
      expect(await withTimeout(sc.run(corpus, `scenario-${SCENARIOS.indexOf(sc)}`), 60_000)).toEqual([]);
      expect(corpus.deletions()).toEqual([]);
    }),
  );
});

/** The scenario's problems, or a timeout as one (so the tally counts it; Jest's own timeout would not). */
function withTimeout(p: Promise<string[]>, ms: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([`did not finish in ${ms / 1000} s`]), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe('bad-input corpus: the controller', () => {
  let corpus: ControllerCorpus;
  const submitted = new Map<string, Submitted>();

  beforeAll(async () => {
    corpus = await ControllerCorpus.start();
    // Every case at once, one namespace each: the controller meets them as a busy cluster would.
    controllerCases.forEach((c, i) => submitted.set(c.id, corpus.submit(c, `corpus-${i}`)));
  });
  afterAll(async () => {
    await corpus?.stop();
  });

  test.each(controllerCases)('$id: $title', (c) =>
    tally.run('controller', c.id, async () => {
      const s = submitted.get(c.id)!;
      let blocked: Obj | undefined;
      if (!s.createError) {
        await eventually(() => {
          blocked = corpus.settled(s);
          if (!blocked) throw new Error('not settled');
        }, 30_000).catch(() => undefined);
      }
      expect(judgeController(corpus, s, blocked)).toEqual([]);
    }),
  );

  test('the operator deleted nothing, in any case', () =>
    tally.run('controller', 'nothing-deleted', () => {
      expect(corpus.deletions()).toEqual([]);
    }));

  test('the controller is alive: a valid registry created after the corpus becomes Available', () =>
    tally.run('controller', 'still-alive', async () => {
      const namespace = 'after-corpus';
      const s = corpus.submit({ id: 'alive', title: 'alive', objects: [{ apiVersion: 'quay.redhat.com/v1', kind: 'QuayRegistry', metadata: { name: 'alive' }, spec: {} }], expect: { refused: false }, targets: ['controller'] }, namespace);
      // The cluster's controllers, for this namespace only (simulateCluster would walk every case's).
      await eventually(() => {
        settleDeployments(corpus.server, namespace);
        bindBucket(corpus.server, namespace, 'alive');
        for (const job of corpus.server.list('batch/v1', 'Job', namespace) as Obj[]) if (!job.status?.succeeded) completeJob(corpus.server, namespace, job.metadata.name);
        admitRoutes(corpus.server, namespace);
        const available = ((corpus.registry(s)?.status?.conditions ?? []) as Obj[]).find((c) => c.type === 'Available');
        expect(available).toMatchObject({ status: 'True' });
      }, 60_000);
    }));

  test('which refused registries the real CRD refuses too (informational)', () => {
    const refused = controllerCases.filter((c) => c.expect.refused && c.objects?.some((o) => o.kind === 'QuayRegistry'));
    const byCrd = refused.filter((c) => submitted.get(c.id)?.crdRefusal !== undefined);
    // Every case the API server accepts must be one the corpus expects accepted, or the operator refuses.
    const acceptedButCrdRefuses = controllerCases.filter((c) => !c.expect.refused && submitted.get(c.id)?.crdRefusal);
    expect(acceptedButCrdRefuses.map((c) => `${c.id}: ${submitted.get(c.id)?.crdRefusal}`)).toEqual([]);
    process.stdout.write(`bad-input corpus: of ${refused.length} registries the operator refuses, the API server (CRD schema) refuses ${byCrd.length} itself\n`);
  });
});
