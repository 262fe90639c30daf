import { parseFlags } from '../cli-args';
import { clusterConfig } from './cluster-config';
import { down, status, up } from './control-plane';
import { measurePodUsage, usageTable } from './pod-usage';
import { prepareRealNode, REAL_NODE } from './real-node';

const USAGE = `usage: npm run cluster:up -- [--real]
       npm run cluster:down -- [--purge]
       npm run cluster:status
       npm run cluster:usage -- [--seconds 30] [--namespace <ns>]`;

const OPTIONS: Record<string, Parameters<typeof parseFlags>[1]> = {
  down: { purge: { type: 'boolean' } },
  up: { real: { type: 'boolean' } },
  usage: { seconds: { type: 'string' }, namespace: { type: 'string' } },
};

interface Args {
  command: string;
  purge: boolean;
  real: boolean;
  seconds: number;
  namespace?: string;
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  const { values, positionals } = parseFlags(rest, OPTIONS[command] ?? {}, USAGE);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  const seconds = values.seconds === undefined ? 30 : Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
    throw new Error(`--seconds takes a whole number of seconds, 1..3600 (got "${String(values.seconds)}")\n${USAGE}`);
  if (values.namespace === '') throw new Error(`--namespace takes a namespace\n${USAGE}`);
  return { command, purge: values.purge === true, real: values.real === true, seconds, namespace: values.namespace as string | undefined };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = clusterConfig();
  const log = (line: string) => console.log(`[cluster] ${line}`);
  switch (args.command) {
    case 'up': {
      const started = Date.now();
      if (args.real) prepareRealNode();
      // A real node replaces the fake ones: the chart's pods must land where containers run.
      await up(args.real ? { ...config, nodes: 0 } : config, { log, extraComponents: args.real ? REAL_NODE : [] });
      printStatus(await status(config));
      log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; export KUBECONFIG=${config.runDir}/kubeconfig`);
      break;
    }
    case 'down':
      await down(config, args.purge, log);
      log(args.purge ? 'stopped; cluster data deleted' : `stopped; etcd data and certificates kept in ${config.runDir}`);
      break;
    case 'status': {
      const rows = await status(config);
      printStatus(rows);
      if (rows.every((r) => !r.running)) log('not running (npm run cluster:up)');
      break;
    }
    case 'usage': {
      log(`reading the real node's CPU and memory counters over ${args.seconds} s`);
      const rows = await measurePodUsage(config, args.seconds, args.namespace);
      if (rows.length === 0) throw new Error(`no running pod${args.namespace ? ` in namespace ${args.namespace}` : ''} on the real node`);
      console.log(usageTable(rows, args.seconds));
      break;
    }
    default:
      throw new Error(USAGE);
  }
}

function printStatus(rows: { name: string; pid: number | null; port: number | null; health: string }[]): void {
  console.log(`${'COMPONENT'.padEnd(24)} ${'PID'.padEnd(8)} ${'PORT'.padEnd(6)} HEALTH`);
  for (const r of rows)
    console.log(`${r.name.padEnd(24)} ${String(r.pid ?? '-').padEnd(8)} ${String(r.port ?? '-').padEnd(6)} ${r.health}`);
}

main().catch((error: Error) => {
  console.error(`[cluster] error: ${error.message}`);
  process.exit(1);
});
