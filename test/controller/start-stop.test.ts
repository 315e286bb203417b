// A stop during a slow start (the operator's SIGTERM while the API server is slow or throttling):
// start() gives up, and nothing it would have started is left watching, which would keep the
// process alive after stop() returned.
import { Controller } from '../../lib/controller/controller';
import { KubeClient } from '../../lib/controller/kube-client';
import { createLogger } from '../../lib/controller/runtime/logger';
import { Registry } from '../../lib/controller/runtime/metrics';
import { DEFAULT_IMAGES } from '../../lib/images';
import { FakeApiServer } from '../support/fake-apiserver';
import { eventually, openshiftCluster } from '../support/cluster-sim';
import { installOperator } from '../support/operator-install';

let server: FakeApiServer;
beforeEach(async () => {
  server = await FakeApiServer.start();
  openshiftCluster(server);
});
afterEach(() => server.stop());

test('stopped while the registries list is unanswered: start() returns and no watch is left open', async () => {
  // The registries' first list never answers until the client gives up (a slow or throttling server).
  server.holdNext({ verb: 'list', pathIncludes: 'quayregistries' }, 1);
  const controller = new Controller({
    client: new KubeClient(installOperator(server), { timeoutMs: 300 }),
    environment: { images: DEFAULT_IMAGES, quayVersion: 'v3.99.0-dev' },
    logger: createLogger({ level: 'error', stream: { write: () => undefined } }),
    metrics: new Registry(),
    discoveryIntervalMs: 3_600_000,
  });
  const starting = controller.start();
  await eventually(() => expect(server.requests.some((r) => r.held)).toBe(true));
  await controller.stop();
  // Without the check, start() went on to list the on-demand kinds and start every informer.
  await starting;
  expect(server.openWatches).toBe(0);
  expect(controller.isReady()).toBe(false);
  const lists = server.requests.filter((r) => r.verb === 'list' && !r.path.includes('quayregistries'));
  expect(lists.map((r) => r.path)).toEqual([]);
});
