import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';

/** Runs one of the compiled command lines (dist/scripts/<name>/cli.js) to its end, echoing its output. */
export async function runCli(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', name, 'cli.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

/** The report directories a run adds to reports/: call before, then the returned function after. */
export function newReports(): () => string[] {
  const list = () => (existsSync(join(ROOT, 'reports')) ? readdirSync(join(ROOT, 'reports')) : []);
  const before = new Set(list());
  return () => list().filter((d) => !before.has(d));
}
