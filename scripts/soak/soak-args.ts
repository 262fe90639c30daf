import { parseArgs } from 'node:util';

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
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { minutes: { type: 'string' }, rate: { type: 'string' }, 'keyed-share': { type: 'string' } },
      strict: true,
    }) as {
      values: Record<string, string | undefined>;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}. ${USAGE}`, { cause: error });
  }
  return {
    minutes: number('minutes', values.minutes, DEFAULT_SOAK.minutes, 2, 24 * 60),
    rate: number('rate', values.rate, DEFAULT_SOAK.rate, 10, 2000),
    keyedShare: number('keyed-share', values['keyed-share'], DEFAULT_SOAK.keyedShare, 0, 1),
  };
}
