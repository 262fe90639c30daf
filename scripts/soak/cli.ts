import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, stackConfig } from '../stack/stack-config';
import { renderHtml, renderMarkdown } from './report';
import { runSoak } from './run-soak';
import { parseSoakArgs } from './soak-args';
import { SOAK_STACK_ENV } from './soak-ports';

async function main(): Promise<void> {
  const args = parseSoakArgs(process.argv.slice(2));
  const log = (line: string) => console.log(`[soak] ${line}`);
  const command = ['npm run soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  // Its own ports unless told otherwise by name (the short soak of npm test runs beside the other suites).
  const chosen = Object.fromEntries(Object.keys(SOAK_STACK_ENV).flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
  const config = stackConfig({ ...process.env, ...SOAK_STACK_ENV, ...chosen });
  log(`${args.minutes} min of audited open load at ${args.rate} ratings/s through nginx :${config.nginxPort}`);
  const result = await runSoak(config, args, log);
  const dir = join(ROOT, 'reports', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  const markdown = renderMarkdown(result, command);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ ...result.summary, faults: result.faults }, null, 2)}\n`);
  writeFileSync(join(dir, 'samples.json'), `${JSON.stringify(result.samples)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  writeFileSync(join(dir, 'report.html'), renderHtml(result, markdown));
  log(`written ${dir}`);
  console.log(`\n${markdown.split('\n## Faults')[0]}`);
  log(`report: ${join(dir, 'report.md')}`);
  if (!result.summary.ok) process.exitCode = 1;
}

main().catch((error: Error) => {
  console.error(`[soak] error: ${error.message}`);
  process.exit(1);
});
