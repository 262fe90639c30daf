import { parseFlags } from '../cli-args';
import { clusterConfig } from './cluster-config';
import { down, status, up } from './control-plane';
import { prepareRealNode, REAL_NODE } from './real-node';

const USAGE = `usage: npm run cluster:up -- [--real]
       npm run cluster:down -- [--purge]
       npm run cluster:status`;

function parseArgs(argv: string[]): { command: string; purge: boolean; real: boolean } {
  const [command, ...rest] = argv;
  const options: Parameters<typeof parseFlags>[1] =
    command === 'down' ? { purge: { type: 'boolean' } } : command === 'up' ? { real: { type: 'boolean' } } : {};
  const { values, positionals } = parseFlags(rest, options, USAGE);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  return { command, purge: values.purge === true, real: values.real === true };
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
