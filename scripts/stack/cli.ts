import { down, readState, status, up } from './stack';
import { parseStackArgs, USAGE } from './stack-args';
import { stackConfig } from './stack-config';

async function main(): Promise<void> {
  const args = parseStackArgs(process.argv.slice(2));
  const config = stackConfig();
  const log = (line: string) => console.log(`[stack] ${line}`);
  switch (args.command) {
    case 'up': {
      const previous = readState(config);
      const before = await status(config);
      const shape = {
        replicas: args.replicas ?? previous?.replicas ?? 3,
        brokers: args.brokers ?? previous?.brokers ?? 1,
        consumers: args.consumers ?? previous?.consumers ?? 1,
        redisNodes: args.redisCluster ?? previous?.redisNodes ?? 0,
      };
      const sameShape =
        previous?.replicas === shape.replicas &&
        previous.brokers === shape.brokers &&
        previous.consumers === shape.consumers &&
        previous.redisNodes === shape.redisNodes;
      const alreadyUp = before.length > 0 && before.every((s) => s.health === 'ready') && sameShape;
      if (alreadyUp) log(`already running with ${shape.replicas} API replica(s); nothing to start`);
      const state = await up(config, { ...shape, log });
      printStatus(await status(config));
      const cpu = state.cgroups ? `${state.cpuLimitMillis}m CPU each (cgroup quota, from ${state.valuesFile})` : 'NO CPU limit';
      log(`ready: http://127.0.0.1:${config.nginxPort}/rate with ${state.replicas} API replica(s), ${cpu}`);
      log(`Kafka: ${state.brokers} broker(s), ${state.consumers} consumer(s) in the group`);
      log(state.redisNodes ? `Redis: a cluster of ${state.redisNodes} primaries` : 'Redis: standalone');
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
  console.log(`${'SERVICE'.padEnd(11)} ${'PID'.padEnd(8)} ${'PORT'.padEnd(6)} HEALTH`);
  for (const r of rows) console.log(`${r.name.padEnd(11)} ${String(r.pid ?? '-').padEnd(8)} ${String(r.port).padEnd(6)} ${r.health}`);
}

main().catch((error: Error) => {
  console.error(`[stack] error: ${error.message}`);
  process.exit(1);
});
