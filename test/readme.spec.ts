import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SOAK } from './harness/soak';
import { catchUpBoundS } from './harness/soak';

const ROOT = join(__dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

describe('README', () => {
  it('names only npm scripts that exist', () => {
    const named = [...new Set([...readme.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]))];
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it("states the soak's defaults and catch-up bound as the code has them", () => {
    const row = readme.split('\n').find((l) => l.startsWith('| `npm run soak'))!;
    expect(row).toContain(
      `default ${DEFAULT_SOAK.minutes} min at ${DEFAULT_SOAK.rate} ratings/s, ${DEFAULT_SOAK.keyedShare * 100} % with an \`Idempotency-Key\``,
    );
    expect(row).toContain('max(30 s, absence / 4)');
    expect([catchUpBoundS(10), catchUpBoundS(400)]).toEqual([30, 100]);
  });
});
