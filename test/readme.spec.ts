import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENV_VARIABLES } from '@rate/config';
import { CHAOS_STACK_ENV } from './harness/chaos';
import { catchUpBoundS, DEFAULT_SOAK, SOAK_STACK_ENV } from './harness/soak';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

describe('README and docs/', () => {
  it('keep the README a landing page (≤ 150 lines) that links every docs page', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(150);
    for (const page of pages.filter((p) => p.startsWith('docs/')))
      expect({ page, linked: readme.includes(`](${page})`) }).toEqual({ page, linked: true });
  });

  it('name only npm scripts that exist', () => {
    const named = [...new Set(pages.flatMap((p) => [...read(p).matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1])))];
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it('link only files that exist', () => {
    const broken = pages.flatMap((page) =>
      [...read(page).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((m) => m[1])
        .filter((target) => !/^https?:/.test(target) && !existsSync(resolve(ROOT, dirname(page), target)))
        .map((target) => `${page} → ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('document every variable of the config schema, and no other, in docs/configuration.md', () => {
    const rows = [...read('docs/configuration.md').matchAll(/^\| (`[A-Z0-9_]+`(?:, `[A-Z0-9_]+`)*) \|/gm)];
    const documented = rows.flatMap((m) => [...m[1].matchAll(/`([A-Z0-9_]+)`/g)].map((v) => v[1]));
    expect([...documented].sort()).toEqual([...ENV_VARIABLES].sort());
  });

  it("state the soak's defaults and catch-up bound as the code has them", () => {
    const row = read('docs/commands.md')
      .split('\n')
      .find((l) => l.startsWith('| `npm run soak'))!;
    expect(row).toContain(
      `default ${DEFAULT_SOAK.minutes} min at ${DEFAULT_SOAK.rate} ratings/s, ${DEFAULT_SOAK.keyedShare * 100} % with an \`Idempotency-Key\``,
    );
    expect(row).toContain('max(30 s, absence / 4)');
    expect([catchUpBoundS(10), catchUpBoundS(400)]).toEqual([30, 100]);
    expect(read('docs/testing.md')).toContain(`\`npm run soak\` ${SOAK_STACK_ENV.RATE_NGINX_PORT}…`);
    expect(read('docs/testing.md')).toContain(`\`npm run chaos\` uses ${CHAOS_STACK_ENV.RATE_NGINX_PORT}…`);
  });
});
