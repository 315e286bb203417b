// ../shared beside the project (seeds, CRDs, API server fixtures), found from here whether the
// tests run from test/, build/test/ or a copy of the project (Stryker's sandbox in .stryker-tmp/):
// the nearest enclosing project whose parent has shared/<sub>.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function findSharedDir(sub: string): string | undefined {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, '..', 'shared', sub);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** findSharedDir, or where it would be beside this checkout (for a message naming the missing path). */
export function sharedDir(sub: string): string {
  return findSharedDir(sub) ?? path.resolve(__dirname, '../../../shared', sub);
}
