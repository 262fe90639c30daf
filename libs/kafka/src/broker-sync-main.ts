import { Kafka, logLevel } from 'kafkajs';
import { brokerSyncServer, checkBrokerSync } from './broker-sync';

/**
 * The in-chart Kafka's readiness sidecar (kafka.replicas > 1), run from the consumer image:
 *   node dist/libs/kafka/src/broker-sync-main.js --node-id <id> [--port 9094] [--broker localhost:9092]
 * Serves GET /ready for the kafka container's readiness probe (see broker-sync.ts).
 */
function parseArgs(argv: string[]): { nodeId: number; port: number; broker: string } {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined)
      throw new Error(`expected --flag value pairs, got "${argv.slice(i).join(' ')}"`);
    flags.set(argv[i].slice(2), argv[i + 1]);
  }
  const unknown = [...flags.keys()].filter((flag) => !['node-id', 'port', 'broker'].includes(flag));
  if (unknown.length > 0) throw new Error(`unknown flag(s): ${unknown.map((f) => `--${f}`).join(', ')}`);
  const integer = (flag: string, fallback?: number) => {
    const text = flags.get(flag);
    if (text === undefined && fallback !== undefined) return fallback;
    if (text === undefined || !/^\d+$/.test(text)) throw new Error(`--${flag} must be a non-negative integer, got "${text ?? ''}"`);
    return Number(text);
  };
  return { nodeId: integer('node-id'), port: integer('port', 9094), broker: flags.get('broker') ?? 'localhost:9092' };
}

function main(): void {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`broker-sync: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const kafka = new Kafka({
    clientId: `broker-sync-${args.nodeId}`,
    brokers: [args.broker],
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  let last = '';
  const server = brokerSyncServer(async () => {
    const sync = await checkBrokerSync(admin, args.nodeId);
    // One line per change of state, not one per probe.
    const state = sync.inSync ? 'in sync' : sync.reason;
    if (state !== last) process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'broker sync', nodeId: args.nodeId, state })}\n`);
    last = state;
    return sync;
  });
  server.listen(args.port, () =>
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'broker-sync listening', port: args.port, nodeId: args.nodeId })}\n`),
  );
  const stop = () => server.close(() => void admin.disconnect().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
