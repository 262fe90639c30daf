import { parseFlags } from '../cli-args';

export interface SoakArgs {
  minutes: number;
  /** ratings per second, open model */
  rate: number;
  /** share of requests sent with an Idempotency-Key (their ids are kept in Redis for the window) */
  keyedShare: number;
}

/** A rate this 2-core machine carries through nginx, 3 API replicas at their quota, Kafka and 2 consumers with headroom. */
export const DEFAULT_SOAK: SoakArgs = { minutes: 30, rate: 300, keyedShare: 0.01 };

const USAGE =
  'usage: npm run soak -- [--minutes N (≥ 2, default 30)] [--rate R (10..2000 per second, default 300)] [--keyed-share S (0..1, default 0.01)]';

function number(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${name} ${raw}: expected a number in [${min}, ${max}]. ${USAGE}`);
  return value;
}

export function parseSoakArgs(argv: string[]): SoakArgs {
  const string = { type: 'string' } as const;
  const { values, positionals } = parseFlags(argv, { minutes: string, rate: string, 'keyed-share': string }, USAGE);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  const raw = (name: string) => (values[name] === undefined ? undefined : String(values[name]));
  return {
    minutes: number('minutes', raw('minutes'), DEFAULT_SOAK.minutes, 2, 24 * 60),
    rate: number('rate', raw('rate'), DEFAULT_SOAK.rate, 10, 2000),
    keyedShare: number('keyed-share', raw('keyed-share'), DEFAULT_SOAK.keyedShare, 0, 1),
  };
}
