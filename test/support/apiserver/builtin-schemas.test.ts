// The committed built-in schemas are what the generator makes of the installed kubernetes-models.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateBuiltinSchemas } from './builtin-schemas-gen';

const FILE = path.join(__dirname, 'builtin-schemas.json');

test('builtin-schemas.json is up to date (UPDATE_BUILTIN_SCHEMAS=1 rewrites it)', () => {
  const generated = JSON.stringify(generateBuiltinSchemas(path.resolve(__dirname, '../../../node_modules')), null, 1) + '\n';
  if (process.env.UPDATE_BUILTIN_SCHEMAS === '1') fs.writeFileSync(FILE, generated);
  expect(fs.readFileSync(FILE, 'utf8')).toBe(generated);
}, 60_000);
