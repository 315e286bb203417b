// A geo-replication site that does not migrate (spec.migrations.run: false): no migration Job, a
// read-only schema check Job in its place with Quay's config, placement and restricted security.
import { App, Chart } from 'cdk8s';
import { Quay, migrationGateJobName } from '../../constructs/quay';
import { QUAY_SCHEMA_CHECK_COMPONENT, SCHEMA_CHECK_SCRIPT, quaySchemaCheckJobName } from '../../constructs/quay-schema-check';
import { QUAY_VERSION_ANNOTATION } from '../../constructs/quay';
import type { RegistryModel } from '../../lib/model';
import { toYamlStream } from '../../lib/yaml';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const EXTERNAL = ['DB_URI: postgresql://quay:pw@db.example.com/quay', 'BUILDLOGS_REDIS: {host: redis.example.com, port: 6379}', 'USER_EVENTS_REDIS: {host: redis.example.com, port: 6379}'].join('\n');
const external = [{ kind: 'postgres', managed: false }, { kind: 'redis', managed: false }];
const site = (run: boolean | undefined, extra: Obj[] = []) =>
  testModel({ files: { 'config.yaml': EXTERNAL }, spec: { ...(run === undefined ? {} : { migrations: { run } }), components: [...external, ...extra] } });

function render(model: RegistryModel): Obj[] {
  const chart = new Chart(new App(), 'test', { namespace: 'quay-enterprise', disableResourceNameHashes: true });
  new Quay(chart, 'quay', { model });
  const objs = chart.toJson();
  validateAll(objs);
  return objs;
}
const jobs = (objs: Obj[]) => objs.filter((o) => o.kind === 'Job');

describe('spec.migrations.run: false', () => {
  const model = site(false);
  const objs = render(model);
  const [job] = jobs(objs);
  const pod = job.spec.template.spec;

  it('renders no migration Job, the schema check instead; the gate names it', () => {
    expect(jobs(objs).map((j) => j.metadata.name)).toEqual(['example-registry-quay-schema-check']);
    expect(migrationGateJobName(model)).toBe(quaySchemaCheckJobName(model));
    expect(jobs(render(site(true))).map((j) => j.metadata.name)).toEqual(['example-registry-quay-app-upgrade']);
    expect(jobs(render(site(undefined))).map((j) => j.metadata.name)).toEqual(['example-registry-quay-app-upgrade']);
    expect(migrationGateJobName(site(undefined))).toBe('example-registry-quay-app-upgrade');
  });

  it('carries the Quay version it waits for (the controller replaces a check of another version), and its own component label', () => {
    expect(job.metadata.annotations[QUAY_VERSION_ANNOTATION]).toBe(model.environment.quayVersion);
    expect(job.metadata.labels['quay-component']).toBe(QUAY_SCHEMA_CHECK_COMPONENT);
    expect(pod.containers[0].env).toContainEqual({ name: 'QUAY_VERSION', value: model.environment.quayVersion });
  });

  it("reads the database with Quay's image and config (the init container writes /conf/stack), migrating nothing", () => {
    const [init] = pod.initContainers;
    expect(init.name).toBe('quay-config-init');
    const c = pod.containers[0];
    expect([c.image, c.command.slice(0, 2), c.workingDir]).toEqual([model.environment.images.quay, ['python3', '-c'], '/quay-registry']);
    expect(c.args).toBeUndefined();
    expect(c.command[2]).toBe(SCHEMA_CHECK_SCRIPT);
    expect(SCHEMA_CHECK_SCRIPT).toContain('MigrationContext.configure(connection).get_current_heads()');
    expect(SCHEMA_CHECK_SCRIPT).not.toMatch(/\.upgrade\(|\.stamp\(|alembic\.command/);
    expect(c.volumeMounts.map((m: Obj) => m.mountPath)).toContain('/conf/stack');
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('never prints the database URI: only its revision, an exception\'s first line, or its type', () => {
    const prints = SCHEMA_CHECK_SCRIPT.split('\n').filter((l) => /print\(|report\(/.test(l));
    for (const line of prints) expect(line).not.toMatch(/DB_URI"\]|config\[/);
  });

  it('restricted, and placed where Quay is (the nodes that reach the shared database)', () => {
    const placed = render(site(false, [{ kind: 'quay', managed: true, overrides: { nodeSelector: { region: 'eu' } } }]));
    expect(jobs(placed)[0].spec.template.spec.nodeSelector).toEqual({ region: 'eu' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('snapshot', () => expect(toYamlStream(jobs(objs))).toMatchSnapshot());
});
