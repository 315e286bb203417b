// `quay-operator restore -n NS NAME DUMP`: one command for a restore. It asks the operator (the
// quay-operator/restore annotation, with a new restore-id), which checks the dump, stops Quay, mirror
// and Clair, restores it and starts them again (lib/controller/restore.ts); then follows
// status.restore and exits 0 when restored, 2 when refused (the reason on stderr), 1 when failed.
import { parseArgs } from 'node:util';
import { RESTORE_ANNOTATION, RESTORE_ID_ANNOTATION, RestoreStatus, parseDumpName } from '../api/backup';
import { ApiError, KubeClient } from '../controller/kube-client';
import type { ClusterConnection } from '../controller/kube-config';
import { typeOf } from '../controller/resources';
import { DNS_LABEL } from '../names';
import { loadKubeConfig } from './run';

export const RESTORE_HELP = `quay-operator restore: restore a registry's managed database from one of its backups

Usage: quay-operator restore -n NAMESPACE NAME DUMP [--kubeconfig PATH] [--timeout 1h] [--no-wait]

DUMP is a file spec.backup wrote (status.backups[].lastDump names the newest). The operator reads
the dump's metadata first and refuses a dump of another registry, or of a Quay version it cannot
run (newer, or not on a supported upgrade path); otherwise it scales Quay, mirror and Clair to 0,
restores the dump in one transaction, migrates it when it is of an older Quay, and starts them again.
The registry's spec is not changed: the request is the annotations ${RESTORE_ANNOTATION} and
${RESTORE_ID_ANNOTATION} on it, and its progress status.restore and the Restored condition.

Exit codes: 0 restored, 2 refused (or bad usage; the reason on stderr), 1 failed or timed out.

Options:
  -n, --namespace NS   the registry's namespace (default: default)
      --kubeconfig PATH
      --timeout DURATION   how long to follow it (default 1h; s, m or h); the restore goes on after
      --no-wait            ask, and exit without following

Examples:
  quay-operator restore -n quay-enterprise example-registry \\
    "$(kubectl get quayregistry -n quay-enterprise example-registry -o jsonpath='{.status.backups[0].lastDump}')"
  quay-operator restore -n quay-enterprise example-registry example-registry-postgres-20260102T030000Z-v3.17.3.dump
`;

export class RestoreUsageError extends Error {}

export interface RestoreIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

function duration(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (!m) throw new RestoreUsageError(`--timeout must be a duration such as 90s, 30m or 2h, got ${JSON.stringify(text)}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

export interface RestoreOptions {
  /** The cluster (tests); else --kubeconfig, KUBECONFIG, ~/.kube/config or in-cluster. */
  readonly connection?: ClusterConnection;
  /** How often status.restore is read (default 2 s). */
  readonly pollMs?: number;
  readonly now?: () => Date;
}

/** Usage errors are thrown at once (RestoreUsageError, parseArgs'); the rest is the cluster's, in the promise. */
export function restoreCommand(args: string[], io: RestoreIo, options: RestoreOptions = {}): number | Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      namespace: { type: 'string', short: 'n', default: 'default' },
      kubeconfig: { type: 'string' },
      timeout: { type: 'string', default: '1h' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout(RESTORE_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new RestoreUsageError('restore takes the registry and the dump: quay-operator restore -n NAMESPACE NAME DUMP');
  const [name, dump] = positionals;
  const namespace = values.namespace;
  if (!DNS_LABEL.test(namespace)) throw new RestoreUsageError(`${JSON.stringify(namespace)} is not a namespace name`);
  const timeoutMs = duration(values.timeout);
  return restore({ namespace, name, dump, timeoutMs, timeout: values.timeout, noWait: values['no-wait'], ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}) }, io, options);
}

interface Request {
  readonly namespace: string;
  readonly name: string;
  readonly dump: string;
  readonly timeoutMs: number;
  readonly timeout: string;
  readonly noWait: boolean;
  readonly kubeconfig?: string;
}

async function restore(req: Request, io: RestoreIo, options: RestoreOptions): Promise<number> {
  const { namespace, name, dump, timeoutMs } = req;
  const fail = (code: number, message: string) => {
    io.stderr(`error: ${message}\n`);
    return code;
  };
  // What the name alone tells, said here before anything is asked of the cluster (the operator checks it too).
  const parsed = parseDumpName(dump);
  if (!parsed) return fail(2, `${JSON.stringify(dump)} is not a dump's name (<registry>-<postgres|clairpostgres>-<YYYYMMDDTHHMMSSZ>-<Quay version>.dump, as status.backups[].lastDump shows)`);
  if (parsed.registry !== name) return fail(2, `dump ${dump} is registry ${parsed.registry}'s, not ${name}'s: a registry restores only its own dumps`);

  const client = new KubeClient(options.connection ?? loadKubeConfig(req.kubeconfig));
  const type = typeOf('QuayRegistry');
  const registry = await client.get(type, namespace, name);
  if (!registry) return fail(2, `QuayRegistry ${namespace}/${name} not found`);
  if (!(registry as { spec?: { backup?: unknown } }).spec?.backup) return fail(2, `QuayRegistry ${namespace}/${name} has no spec.backup: the operator restores from the backup volume it names`);
  const now = options.now ?? (() => new Date());
  const id = now().toISOString();
  try {
    await client.mergePatch(type, namespace, name, { metadata: { annotations: { [RESTORE_ANNOTATION]: dump, [RESTORE_ID_ANNOTATION]: id } } });
  } catch (err) {
    return fail(err instanceof ApiError && err.status === 403 ? 2 : 1, `could not ask for the restore: ${(err as Error).message}`);
  }
  io.stderr(`asked the operator to restore ${dump} into ${namespace}/${name} (${RESTORE_ID_ANNOTATION}: ${id})\n`);
  if (req.noWait) {
    io.stdout(`follow it with: kubectl get quayregistry -n ${namespace} ${name} -o jsonpath='{.status.restore}'\n`);
    return 0;
  }

  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const live = await client.get(type, namespace, name).catch(() => undefined);
    const r = (live as { status?: { restore?: RestoreStatus } } | undefined)?.status?.restore;
    if (r && r.dump === dump && r.id === id) {
      const line = `${r.phase}: ${r.message ?? ''}`;
      if (line !== said) io.stderr(`${line}\n`);
      said = line;
      if (r.phase === 'Succeeded') {
        io.stdout(`${r.message}\n`);
        return 0;
      }
      if (r.phase === 'Refused') return fail(2, `restore refused: ${r.message}`);
      if (r.phase === 'Failed') return fail(1, `restore failed: ${r.message}`);
    }
    if (!live) return fail(1, `QuayRegistry ${namespace}/${name} is gone`);
    if (Date.now() > deadline) return fail(1, `timed out after ${req.timeout}; the restore goes on in the cluster: kubectl get quayregistry -n ${namespace} ${name} -o jsonpath='{.status.restore}'`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
  }
}
