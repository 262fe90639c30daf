import { parseFlags } from '../cli-args';

export const USAGE = `usage: npm run stack:up -- [--replicas N] [--brokers B] [--consumers M] [--redis-cluster R]
       npm run stack:down -- [--purge]
       npm run stack:status`;

export interface StackArgs {
  command: string;
  replicas?: number;
  brokers?: number;
  consumers?: number;
  /** Primaries of a Redis Cluster instead of one standalone Redis. */
  redisCluster?: number;
  purge: boolean;
}

const COUNTS = ['replicas', 'brokers', 'consumers', 'redis-cluster'] as const;
const FIELDS = { replicas: 'replicas', brokers: 'brokers', consumers: 'consumers', 'redis-cluster': 'redisCluster' } as const;

/** Parses `up|down|status` and its options; counts are checked against their limits by stack.up. */
export function parseStackArgs(argv: string[]): StackArgs {
  const [command, ...rest] = argv;
  const options = Object.fromEntries([
    ...COUNTS.map((name) => [name, { type: 'string' as const }]),
    ['purge', { type: 'boolean' as const }],
  ]);
  const { values, positionals } = parseFlags(rest, options, USAGE);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  const args: StackArgs = { command, purge: values.purge === true };
  for (const count of COUNTS) {
    const raw = values[count];
    if (raw === undefined) continue;
    if (!/^[1-9]\d*$/.test(String(raw))) throw new Error(`--${count} takes a positive integer, got ${JSON.stringify(raw)}`);
    args[FIELDS[count]] = Number(raw);
  }
  if (args.command !== 'up' && COUNTS.some((name) => args[FIELDS[name]] !== undefined)) {
    throw new Error(`--replicas, --brokers, --consumers and --redis-cluster belong to stack:up\n${USAGE}`);
  }
  if (args.command !== 'down' && args.purge) throw new Error(`--purge belongs to stack:down\n${USAGE}`);
  return args;
}
