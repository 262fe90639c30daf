import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';
import { parseChaosArgs } from './chaos-args';
import { CHAOS_STACK_ENV } from './chaos-ports';
import { selectFaults } from './faults';
import { consoleTable, failed, renderMarkdown, summary } from './report';
import { runChaos } from './run-chaos';

async function main(): Promise<void> {
  const args = parseChaosArgs(process.argv.slice(2));
  const faults = selectFaults(args.only);
  const log = (line: string) => console.log(`[chaos] ${line}`);
  const command = ['npm run chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  log(
    `${faults.length} fault(s), profile ${args.profile.name}: open load ${args.profile.rate} requests/s through nginx :${CHAOS_STACK_ENV.RATE_NGINX_PORT}`,
  );
  const { details, info } = await runChaos({ profile: args.profile, faults, stackEnv: CHAOS_STACK_ENV, command, log });

  const dir = join(ROOT, 'reports', `chaos-${info.startedAt.replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary(details), null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderMarkdown(details, info));
  writeFileSync(join(dir, 'details.json'), `${JSON.stringify({ info, faults: details }, null, 2)}\n`);
  console.log(`\n${consoleTable(details)}\n`);
  log(
    `machine: ${info.cores} cores, ${info.machineBusyPct.toFixed(0)} % busy during the run; harness ${info.harnessCpuPct.toFixed(0)} % of one core; ${Math.round(info.durationS)} s`,
  );
  log(`report: ${join(dir, 'report.md')}; logs of the stacks in ${CHAOS_STACK_ENV.RATE_RUN_DIR}/{single,cluster}/logs`);
  if (failed(details)) {
    log('FAILED: a rating was lost or counted twice, or the rolling update failed a request');
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(`[chaos] error: ${error.stack ?? error.message}`);
  process.exit(1);
});
