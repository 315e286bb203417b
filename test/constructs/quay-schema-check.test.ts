// A geo-replication site that does not migrate (spec.migrations.run: false): no migration Job, a
// read-only schema check Job in its place with Quay's config, placement and restricted security.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { Quay, migrationGateJobName } from '../../constructs/quay';
import { QUAY_SCHEMA_CHECK_COMPONENT, SCHEMA_CHECK_SCRIPT, SCHEMA_HEADS_PY, quaySchemaCheckJobName } from '../../constructs/quay-schema-check';
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

// ------------------------------------------------------------------------------- the heads, by python3

const python = spawnSync('python3', ['--version']).status === 0;
const withPython = python ? describe : describe.skip;
/** The whole check also needs PyYAML (the Quay image has it). */
const withYaml = python && spawnSync('python3', ['-c', 'import yaml']).status === 0 ? it : it.skip;

/**
 * Revision files as Quay's data/migrations/versions holds them: each imports Quay's modules at module
 * level (data.database, data.fields, data.model), which a bare Job may not be able to load.
 */
const revisionFile = (header: string, body = '') =>
  `"""A migration\n\nRevision ID: x\nRevises: y\n"""\n\n# revision identifiers, used by Alembic.\n${header}\n\nimport sqlalchemy as sa\nfrom data.database import User\nfrom data.fields import EncryptedCharField\nfrom data.model import user\n\n\ndef upgrade(op, tables, tester):\n    op.add_column("user", sa.Column("x", sa.String()))\n${body}`;
const CHAIN: Record<string, string> = {
  // A linear chain from the base, single and double quotes, a trailing comment, a type annotation.
  '1a2b3c4d5e6f_base.py': revisionFile("revision = '1a2b3c4d5e6f'\ndown_revision = None"),
  '2b3c4d5e6f70_add_column.py': revisionFile('revision = "2b3c4d5e6f70"\ndown_revision = "1a2b3c4d5e6f"  # the base'),
  '3c4d5e6f7081_branch.py': revisionFile('revision: str = "3c4d5e6f7081"\ndown_revision: Union[str, None] = \'1a2b3c4d5e6f\''),
  // A merge of the two branches: a tuple, over two lines.
  '4d5e6f708192_merge.py': revisionFile('revision = "4d5e6f708192"\ndown_revision = (\n    "2b3c4d5e6f70",\n    \'3c4d5e6f7081\',\n)'),
  // The head: a syntax error below its identifiers (importing it raises; reading it does not).
  '5e6f708192a3_broken.py': revisionFile("revision = '5e6f708192a3'\ndown_revision = '4d5e6f708192'", '\ndef downgrade(:\n    pass\n'),
  '__init__.py': '',
  'README': "revision = 'not-a-revision'\ndown_revision = None\n",
};

withPython('the heads of the migrations, from the text of the versions directory (python3)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-check-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The revision files in <dir>/data/migrations/versions; what read_migrations makes of them. */
  function heads(files: Record<string, string>): { code: number | null; heads?: string[]; known?: string[]; out: string } {
    const versions = path.join(dir, 'data', 'migrations', 'versions');
    fs.mkdirSync(versions, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(versions, name), text);
    const driver = `\nimport json, sys\nh, k = read_migrations(sys.argv[1])\nprint(json.dumps({"heads": sorted(h), "known": sorted(k)}))\n`;
    const r = spawnSync('python3', ['-c', SCHEMA_HEADS_PY + driver, versions], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, cwd: dir });
    const out = `${r.stdout}${r.stderr}`;
    return r.status === 0 ? { code: 0, ...JSON.parse(r.stdout), out } : { code: r.status, out };
  }

  it('a chain with a merge (a tuple down_revision): the one head; every revision known; no file imported', () => {
    const r = heads(CHAIN);
    expect(r.out).not.toMatch(/Traceback|Error/);
    expect(r).toMatchObject({ code: 0, heads: ['5e6f708192a3'], known: ['1a2b3c4d5e6f', '2b3c4d5e6f70', '3c4d5e6f7081', '4d5e6f708192', '5e6f708192a3'] });
  });

  it('two unmerged branches: both heads, as alembic has them', () => {
    const r = heads({ ...CHAIN, '6f708192a3b4_other.py': revisionFile("revision = '6f708192a3b4'\ndown_revision = ['2b3c4d5e6f70']") });
    expect(r).toMatchObject({ code: 0, heads: ['5e6f708192a3', '6f708192a3b4'] });
  });

  it('a revision file whose identifiers cannot be read: an error naming the file, no guess', () => {
    const r = heads({ ...CHAIN, '7081_computed.py': revisionFile("revision = make_revision()\ndown_revision = '5e6f708192a3'") });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('7081_computed.py');
  });

  it('the check runs this code first, and imports no revision module (no alembic.script)', () => {
    expect(SCHEMA_CHECK_SCRIPT.startsWith(SCHEMA_HEADS_PY)).toBe(true);
    expect(SCHEMA_CHECK_SCRIPT).not.toMatch(/alembic\.script|ScriptDirectory|import_module|importlib|exec\(|__import__/);
    const compiled = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "check", "exec")'], { input: SCHEMA_CHECK_SCRIPT, encoding: 'utf8' });
    expect(compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
  });

  /**
   * The whole check, with stand-ins for alembic's MigrationContext and SQLAlchemy (the revision in
   * the database is the file FAKE_DB), and the config and termination log in the temporary directory.
   */
  function check(revisions: string[], interval = '0'): { code: number | null; out: string; termination: string } {
    const versions = path.join(dir, 'data', 'migrations', 'versions');
    fs.mkdirSync(versions, { recursive: true });
    for (const [name, text] of Object.entries(CHAIN)) fs.writeFileSync(path.join(versions, name), text);
    const stubs = path.join(dir, 'stubs');
    fs.mkdirSync(path.join(stubs, 'alembic', 'runtime'), { recursive: true });
    fs.mkdirSync(path.join(stubs, 'sqlalchemy'), { recursive: true });
    fs.writeFileSync(path.join(stubs, 'alembic', '__init__.py'), '');
    fs.writeFileSync(path.join(stubs, 'alembic', 'runtime', '__init__.py'), '');
    fs.writeFileSync(
      path.join(stubs, 'alembic', 'runtime', 'migration.py'),
      'import os\nclass MigrationContext:\n    @staticmethod\n    def configure(connection):\n        return MigrationContext()\n    def get_current_heads(self):\n        return tuple(open(os.environ["FAKE_DB"]).read().split())\n',
    );
    fs.writeFileSync(path.join(stubs, 'sqlalchemy', '__init__.py'), 'import contextlib\nclass _Engine:\n    @contextlib.contextmanager\n    def connect(self):\n        yield None\ndef create_engine(uri, **kwargs):\n    return _Engine()\n');
    fs.writeFileSync(path.join(stubs, 'sqlalchemy', 'pool.py'), 'NullPool = object()\n');
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'DB_URI: postgresql://quay:secret@db.example.com/quay\n');
    fs.writeFileSync(path.join(dir, 'db'), revisions.join(' '));
    const script = SCHEMA_CHECK_SCRIPT.replace('/conf/stack/config.yaml', path.join(dir, 'config.yaml')).replace('/dev/termination-log', path.join(dir, 'termination-log'));
    const env = { PATH: process.env.PATH ?? '', PYTHONPATH: stubs, QUAYDIR: dir, QUAY_VERSION: 'v3.99.0', CHECK_INTERVAL_SECONDS: interval, FAKE_DB: path.join(dir, 'db') };
    const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', env, cwd: dir, timeout: 3000 });
    const log = path.join(dir, 'termination-log');
    const termination = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    fs.rmSync(log, { force: true });
    return { code: r.status, out: `${r.stdout}${r.stderr}`, termination };
  }

  withYaml('the whole check: at the head succeeds, at an unknown revision fails, behind waits (the termination message as before)', () => {
    expect(check(['5e6f708192a3'])).toMatchObject({ code: 0, termination: "the shared database is at 5e6f708192a3, the head of Quay v3.99.0's migrations" });
    expect(check(['ffffffffffff'])).toMatchObject({
      code: 1,
      termination: "the shared database is at revision ffffffffffff, which Quay v3.99.0's migrations do not know: a site with a newer Quay migrated it; upgrade this site's operator",
    });
    const behind = check(['4d5e6f708192'], '1');
    expect(behind.code).toBeNull(); // still waiting when the test stopped it
    expect(behind.out).toContain('the shared database is at 4d5e6f708192; waiting for 5e6f708192a3 (Quay v3.99.0), migrated by another site');
    expect(behind.termination).toBe('');
    expect(behind.out).not.toContain('secret');
  });
});
