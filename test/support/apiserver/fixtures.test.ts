// The fake API server answers as a real kube-apiserver did: every fixture of ../shared/apiserver-fixtures
// (requests recorded against kube-apiserver 1.26, with its answers) is replayed against it, and every
// normalized answer must equal the recorded one: status code, body (managedFields, defaults,
// resourceVersion and generation numbering included), watch events and warnings.
import { FakeApiServer } from './server';
import { Answer, loadFixtures, replay, Step } from './fixture-replay';

type Obj = Record<string, any>;

/**
 * Answers whose messages quote Go values the fake does not reproduce byte for byte (a struct dump, a
 * go-cmp diff, go-yaml's wording); their status, reason, details and causes must still match.
 */
const MESSAGE_ONLY_DIFFERENCES: Record<string, number[]> = {
  '37-job-ttl-and-immutable-template.json': [3],
  '39-pvc-resize-unbound.json': [2, 3],
  '54-apply-request-errors.json': [7],
};

function withoutMessages(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const b = body as Obj;
  return { ...b, message: undefined, details: b.details ? { ...b.details, causes: (b.details.causes ?? []).map((c: Obj) => ({ ...c, message: undefined })) } : undefined };
}

const fixtures = loadFixtures();

test('there are fixtures to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(60);
});

describe.each(fixtures.map(({ file, fixture }, i) => [file, fixture, i] as const))('%s', (file, fixture, i) => {
  let server: FakeApiServer;
  let answers: Answer[];

  beforeAll(async () => {
    // The recorded server ran no controllers: nothing acted on objects between steps.
    server = await FakeApiServer.start({ gc: false, defaultCrds: false });
    const token = server.tokenFor({ name: 'fixture-admin', groups: ['system:masters', 'system:authenticated'] });
    answers = await replay(server.url, token, fixture, i + 1);
  }, 30_000);

  afterAll(async () => {
    await server.stop();
  });

  test.each(fixture.steps.map((s: Step, n: number) => [n, s.note ?? '', s] as const))('step %i %s', (n, _note, step) => {
    const got = answers[n];
    expect(got.status).toBe(step.response.status);
    const messageOnly = (MESSAGE_ONLY_DIFFERENCES[file] ?? []).includes(n);
    expect(messageOnly ? withoutMessages(got.body) : got.body).toEqual(messageOnly ? withoutMessages(step.response.body) : step.response.body);
    expect(got.events).toEqual(step.response.events);
    expect(got.warnings).toEqual(step.response.warnings);
  });
});
