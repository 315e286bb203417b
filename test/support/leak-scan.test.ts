// The leak scan finds a Secret's value where it must not be, and does not flag the names a Secret
// also holds (a database's user, host).
import { FakeApiServer } from './fake-apiserver';
import { findLeaks } from './leak-scan';

let server: FakeApiServer;
beforeEach(async () => {
  server = await FakeApiServer.start();
  server.createNamespace('ns');
  server.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'ns' },
    stringData: { 'database-password': 'Zx81-secret-pw', 'database-user': 'postgres-user', 'database-host': 'example-registry-quay-database', 'config.yaml': 'SERVER_HOSTNAME: quay.example.com\nDB_URI: postgresql://u:In-Config-9@h/db\n', 'ssl.cert': 'a public certificate body' },
  });
});
afterEach(() => server.stop());

test('a password in a log line, a config.yaml value in an Event: found, naming the Secret and key', () => {
  expect(findLeaks(server, { logs: 'connecting with Zx81-secret-pw', events: '["Failed","uri postgresql://u:In-Config-9@h/db"]', metrics: 'x{password="In-Config-9"} 1' })).toEqual([
    'LEAK in logs: the value of db/database-password (14 chars)',
    'LEAK in events: the value of db/config.yaml (31 chars)',
    'LEAK in events: the value of db/config.yaml (11 chars)',
    'LEAK in metrics: the value of db/config.yaml (11 chars)',
  ]);
});

test('public words are not secrets, whole or as a leaf of a config file', () => {
  server.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'clair', namespace: 'ns' }, stringData: { 'config.yaml': 'metrics:\n  name: prometheus\n', password: 'prometheus' } });
  expect(findLeaks(server, { status: 'could not apply prometheusrules: prometheus not installed' })).toEqual([]);
});

test('names, hosts, public config values and certificates are not secrets', () => {
  expect(findLeaks(server, { status: 'postgres-user at example-registry-quay-database; https://quay.example.com; a public certificate body' })).toEqual([]);
});
