import { down, readState, status, up } from './stack';
import { stackConfig } from './stack-config';

const USAGE = `usage: npm run stack:up -- [--replicas N]
       npm run stack:down -- [--purge]
       npm run stack:status`;

function parseArgs(argv: string[]): { command: string; replicas?: number; purge: boolean } {
  const [command, ...rest] = argv;
  let replicas: number | undefined;
  let purge = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--replicas' || arg.startsWith('--replicas=')) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : rest[++i];
      if (!/^[1-9]\d*$/.test(raw ?? '')) throw new Error(`--replicas takes a positive integer, got ${JSON.stringify(raw ?? '')}`);
      replicas = Number(raw);
    } else if (arg === '--purge') {
      purge = true;
    } else {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return { command, replicas, purge };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = stackConfig();
  const log = (line: string) => console.log(`[stack] ${line}`);
  switch (args.command) {
    case 'up': {
      const previous = readState(config);
      const before = await status(config);
      const replicas = args.replicas ?? previous?.replicas ?? 3;
      const alreadyUp = before.length > 0 && before.every((s) => s.health === 'ready') && previous?.replicas === replicas;
      if (alreadyUp) log(`already running with ${replicas} API replica(s); nothing to start`);
      const state = await up(config, { replicas, log });
      printStatus(await status(config));
      const cpu = state.cgroups ? `${state.cpuLimitMillis}m CPU each (cgroup quota, from ${state.valuesFile})` : 'NO CPU limit';
      log(`ready: http://127.0.0.1:${config.nginxPort}/rate with ${state.replicas} API replica(s), ${cpu}`);
      break;
    }
    case 'down':
      await down(config, args.purge, log);
      log(args.purge ? 'stopped; data deleted' : `stopped; data kept in ${config.runDir}`);
      break;
    case 'status': {
      const rows = await status(config);
      printStatus(rows);
      if (rows.every((r) => !r.running)) log('not running (npm run stack:up)');
      break;
    }
    default:
      throw new Error(USAGE);
  }
}

function printStatus(rows: { name: string; pid: number | null; port: number; health: string }[]): void {
  console.log(`${'SERVICE'.padEnd(10)} ${'PID'.padEnd(8)} ${'PORT'.padEnd(6)} HEALTH`);
  for (const r of rows) console.log(`${r.name.padEnd(10)} ${String(r.pid ?? '-').padEnd(8)} ${String(r.port).padEnd(6)} ${r.health}`);
}

main().catch((error: Error) => {
  console.error(`[stack] error: ${error.message}`);
  process.exit(1);
});
