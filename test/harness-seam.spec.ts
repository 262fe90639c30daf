import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const TEST = __dirname;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the tests reach the tooling through test/harness only', () => {
  it('no test file outside test/harness imports scripts/', () => {
    const reaching = files(TEST)
      .filter((f) => !relative(TEST, f).startsWith('harness'))
      .filter((f) => /from '(\.\.\/)+scripts\//.test(readFileSync(f, 'utf8')))
      .map((f) => relative(TEST, f));
    expect(reaching).toEqual([]);
  });

  it('would notice one that does', () => {
    expect(/from '(\.\.\/)+scripts\//.test("import { up } from '../../scripts/stack/stack';")).toBe(true);
  });
});
