import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The tree is linted (typescript-eslint) and formatted (Prettier) as npm test runs it. The house
 * limits (300 lines a file, 60 a function) are warnings: printed here, never a failure.
 */
describe('lint and format', () => {
  it('passes ESLint with no error, and reports the warnings', () => {
    // The CLI, not the Node API: ESLint loads its flat config with import(), which Jest's VM refuses.
    const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'eslint'), ['.', '--format', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.stdout.trim() === '') throw new Error(`eslint printed no result (exit ${run.status}): ${run.stderr}`);
    const results = JSON.parse(run.stdout) as {
      filePath: string;
      messages: { severity: number; line: number; ruleId: string | null; message: string }[];
    }[];
    const warnings = results.flatMap((r) =>
      r.messages.filter((m) => m.severity === 1).map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.message}`),
    );
    if (warnings.length > 0) process.stdout.write(`[lint] ${warnings.length} warnings:\n${warnings.map((w) => `  ${w}`).join('\n')}\n`);
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(errors).toEqual([]);
  });

  it('is formatted as Prettier formats it (npm run format)', () => {
    const check = spawnSync(join(ROOT, 'node_modules', '.bin', 'prettier'), ['--check', '.'], { cwd: ROOT, encoding: 'utf8' });
    expect({
      status: check.status,
      // Prettier names the files on stderr (3.x) or stdout (older): both are read.
      unformatted: `${check.stdout}\n${check.stderr}`
        .split('\n')
        .filter((l) => l.startsWith('[warn] ') && !l.includes('Code style issues')),
    }).toEqual({ status: 0, unformatted: [] });
  });
});
