// `npm run e2e -- --kubeconfig PATH [--namespace NS] [...]`: the end-to-end smoke test against a
// cluster of yours (see ./scenario.ts for the steps). Exit code 0 when every step passed.
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, parseLevel } from '../../lib/controller/runtime/logger';
import { runScenario } from './scenario';

const USAGE = `Usage: npm run e2e -- --kubeconfig PATH [options]

Installs the QuayRegistry CRD, runs the operator (in this process, as the ServiceAccount that
\`quay-operator manifests\` creates, with a token from the TokenRequest API), creates a registry
whose bundle holds external S3 storage settings and its own certificate, waits for Available,
changes the bundle, unmanages mirror, blocks on an invalid bundle, deletes the registry, and
cleans up. Prints each step with its duration.

Options:
  --kubeconfig PATH      the cluster (a cluster-admin: it installs the CRD and the RBAC)
  --namespace NS         the registry's namespace (default: a new quay-e2e-<random>, deleted after)
  --watch-namespace      the operator watches only that namespace (its Role, not its ClusterRole)
  --external-operator    do not run the operator here: one already runs in the cluster
  --as-admin             run the in-process operator with --kubeconfig's credentials, not as its ServiceAccount
  --timeout SECONDS      how long to wait for each step (default 600)
  --cert FILE --key FILE --hostname HOST
                         the registry's certificate, key and hostname (default: the test wildcard
                         certificate for *.apps.example.com, hostname quay-e2e.apps.example.com)
  --log-level LEVEL      show the operator's logs (debug, info, warn, error)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'watch-namespace': { type: 'boolean', default: false },
      'external-operator': { type: 'boolean', default: false },
      'as-admin': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '600' },
      cert: { type: 'string' },
      key: { type: 'string' },
      hostname: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`error: --kubeconfig is required\n\n${USAGE}`);
    return 2;
  }
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) {
    process.stderr.write('error: --timeout must be a number of seconds\n');
    return 2;
  }
  const tlsGiven = [values.cert, values.key, values.hostname].filter(Boolean).length;
  if (tlsGiven !== 0 && tlsGiven !== 3) {
    process.stderr.write('error: --cert, --key and --hostname go together\n');
    return 2;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(values.kubeconfig);
  const started = Date.now();
  const result = await runScenario({
    kubeConfig,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    operator: values['external-operator'] ? 'external' : 'in-process',
    asServiceAccount: !values['as-admin'],
    watchNamespace: values['watch-namespace'],
    stepTimeoutMs: timeout * 1000,
    ...(tlsGiven === 3 ? { tls: { cert: fs.readFileSync(values.cert!, 'utf8'), key: fs.readFileSync(values.key!, 'utf8'), hostname: values.hostname! } } : {}),
    ...(values['log-level'] ? { logger: createLogger({ level: parseLevel(values['log-level'], 'info') }) } : {}),
  });
  const failed = result.steps.filter((s) => !s.ok).length;
  process.stdout.write(`${result.ok ? 'PASS' : 'FAIL'}: ${result.steps.length - failed} of ${result.steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`e2e: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
