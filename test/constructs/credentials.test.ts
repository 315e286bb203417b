// The Credentials chart (constructs/credentials.ts): the only objects holding generated values, as
// `quay-operator keys` prints them and the controller applies them. Which Secrets for which props,
// their names, labels, type and exact content.
import { App } from 'cdk8s';
import * as yaml from 'js-yaml';
import { Credentials, CredentialsProps } from '../../constructs/credentials';
import { quayDatabaseCredentials } from '../../constructs/postgres';
import { MANAGED_KEY_NAMES, reconfigureToken } from '../../lib/keys';
import { testModel } from '../support/model';
import { validateAll } from '../support/schema';

type Obj = Record<string, any>;

const keys = testModel().keys;
function render(props: Partial<CredentialsProps> = {}): Obj[] {
  const objs = new Credentials(new App(), 'c', { name: 'example-registry', namespace: 'quay-enterprise', keys, ...props }).toJson();
  validateAll(objs);
  return objs;
}
const names = (objs: Obj[]) => objs.map((o) => o.metadata.name);
const decoded = (o: Obj) => Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const byName = (objs: Obj[], name: string) => objs.find((o) => o.metadata.name === name) as Obj;

describe('Credentials', () => {
  test('by default: the keys, both databases, Clair\'s PSK and the editor login, each an Opaque Secret labelled for its component', () => {
    const objs = render();
    expect(names(objs)).toEqual([
      'example-registry-quay-registry-managed-secret-keys',
      'example-registry-postgres-config-secret',
      'example-registry-clairpostgres-config-secret',
      'example-registry-clair-auth',
      'example-registry-quay-config-editor-credentials',
    ]);
    for (const o of objs) {
      expect(o.type).toBe('Opaque');
      expect(o.metadata.namespace).toBe('quay-enterprise');
      expect(o.metadata.labels['quay-operator/quayregistry']).toBe('example-registry');
    }
    expect(objs.map((o) => o.metadata.labels['quay-component'])).toEqual(['quay', 'postgres', 'clair-postgres', 'clair-app', 'quay-config-editor']);
    expect(decoded(objs[0])).toEqual(Object.fromEntries(MANAGED_KEY_NAMES.map((k) => [k, keys[k]])));
    const quayDb = quayDatabaseCredentials('example-registry', keys);
    expect(decoded(objs[1])).toEqual({ 'database-name': quayDb.database, 'database-username': quayDb.user, 'database-password': quayDb.password, 'database-root-password': keys.DB_ROOT_PW });
    expect(decoded(objs[2])).toEqual({ 'database-name': keys.CLAIR_DB_NAME, 'database-username': keys.CLAIR_DB_USER, 'database-password': keys.CLAIR_DB_PASSWORD, 'database-root-password': keys.CLAIR_DB_ROOT_PW });
  });

  test('names are stable: no content hash on any of them', () => {
    expect(names(render())).toEqual(names(render({ keys: { ...keys, CONFIG_EDITOR_PW: 'another' } })));
  });

  test("without the databases or Clair, their Secrets are not rendered; Clair's config only when given", () => {
    expect(names(render({ postgres: false, clairpostgres: false, clair: false }))).toEqual(['example-registry-quay-registry-managed-secret-keys', 'example-registry-quay-config-editor-credentials']);
    expect(names(render({ postgres: true, clairpostgres: true, clair: true }))).toHaveLength(5);
    const withConfig = render({ clairConfigYaml: 'log_level: info\n' });
    expect(decoded(byName(withConfig, 'example-registry-clair-config-secret'))).toEqual({ 'config.yaml': 'log_level: info\n' });
  });

  test("Clair's PSK drop-in: YAML with sorted keys on unfolded lines", () => {
    const auth = decoded(render().find((o) => /clair-auth/.test(o.metadata.name)) as Obj);
    expect(Object.keys(auth)).toEqual(['auth.yaml']);
    const text = auth['auth.yaml'];
    expect(text).toBe(yaml.dump(yaml.load(text), { sortKeys: true, lineWidth: -1 }));
    expect(text).toContain(keys.SECURITY_SCANNER_V4_PSK);
  });

  test("the editor's login: its user, password and the reconfigure token for this registry", () => {
    const editor = render().find((o) => /config-editor/.test(o.metadata.name)) as Obj;
    expect(decoded(editor)).toEqual({
      username: 'quayconfig',
      password: keys.CONFIG_EDITOR_PW,
      'reconfigure-token': reconfigureToken(keys.CONFIG_EDITOR_PW, 'quay-enterprise', 'example-registry'),
    });
  });
});
