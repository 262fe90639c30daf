export const USAGE = `usage: npm run stack:up -- [--replicas N] [--brokers B] [--consumers M]
       npm run stack:down -- [--purge]
       npm run stack:status`;

export interface StackArgs {
  command: string;
  replicas?: number;
  brokers?: number;
  consumers?: number;
  purge: boolean;
}

const COUNTS = ['replicas', 'brokers', 'consumers'] as const;

/** Parses `up|down|status` and its options; counts are checked against their limits by stack.up. */
export function parseStackArgs(argv: string[]): StackArgs {
  const [command, ...rest] = argv;
  const args: StackArgs = { command, purge: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const count = COUNTS.find((name) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    if (count) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : rest[++i];
      if (!/^[1-9]\d*$/.test(raw ?? '')) throw new Error(`--${count} takes a positive integer, got ${JSON.stringify(raw ?? '')}`);
      args[count] = Number(raw);
    } else if (arg === '--purge') {
      args.purge = true;
    } else {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (args.command !== 'up' && COUNTS.some((name) => args[name] !== undefined)) {
    throw new Error(`--replicas, --brokers and --consumers belong to stack:up\n${USAGE}`);
  }
  if (args.command !== 'down' && args.purge) throw new Error(`--purge belongs to stack:down\n${USAGE}`);
  return args;
}
