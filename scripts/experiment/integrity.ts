import { withStackRedis } from '../stack/redis-conf';
import { StackConfig } from '../stack/stack-config';

/**
 * Every accepted rating aggregated exactly once — unless the consumer said it could not write
 * (Redis full, Redis down): then the shortfall waits in Kafka and the check could not be made.
 * Calling those ratings lost would blame the pipeline for the stack's state.
 */
export interface Integrity {
  accepted: number;
  aggregated: number;
  /** Missing although the consumer was ready: really lost. */
  lost: number;
  duplicated: number;
  /** Missing while the consumer reported not ready: not aggregated yet, not checked. */
  waiting: number;
  waitingReason: string | null;
}

export function integrityOf(accepted: number, aggregated: number, consumerProblem: string | null): Integrity {
  const shortfall = Math.max(0, accepted - aggregated);
  const waiting = consumerProblem === null ? 0 : shortfall;
  return {
    accepted,
    aggregated,
    lost: shortfall - waiting,
    duplicated: Math.max(0, aggregated - accepted),
    waiting,
    waitingReason: waiting > 0 ? consumerProblem : null,
  };
}

/** A full run sends over a million ratings: starting with Redis this full, the consumer would stall. */
const MAX_USED_FRACTION = 0.75;

/** Why Redis (its INFO memory text) has too little room for a run, or null. */
export function redisHeadroomProblem(info: string): string | null {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const used = field('used_memory');
  const max = field('maxmemory');
  if (max === 0 || used < MAX_USED_FRACTION * max) return null;
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  return (
    `Redis holds ${mb(used)} MB of its ${mb(max)} MB maxmemory (${Math.round((100 * used) / max)} %): the consumer would stop aggregating ` +
    "during the run and integrity could not be checked. Free it with npm run stack:down -- --purge (deletes the stack's data) or raise redis.maxmemory in --values"
  );
}

type Indicators = Record<string, { status?: string; message?: string }>;

/** Why terminus' readiness answer says not ready, or null when it is ready. */
export function readinessProblem(status: number, body: unknown): string | null {
  if (status === 200) return null;
  const errors = (body as { error?: Indicators } | null)?.error;
  if (typeof body !== 'object' || !errors || Object.keys(errors).length === 0) return `readiness answered ${status}`;
  return Object.entries(errors)
    .map(([name, indicator]) => `${name}: ${indicator.message ?? indicator.status ?? 'down'}`)
    .join('; ');
}

/** The consumer's own readiness verdict (null when ready, or when it cannot be asked). */
export async function consumerProblem(readyUrl: string): Promise<string | null> {
  try {
    const response = await fetch(readyUrl, { signal: AbortSignal.timeout(3000) });
    return readinessProblem(response.status, await response.json().catch(() => null));
  } catch (error) {
    return `consumer readiness not reachable: ${(error as Error).message}`;
  }
}

/** Checks the running stack's Redis before a run (see redisHeadroomProblem). */
export async function redisHeadroom(config: StackConfig): Promise<string | null> {
  return withStackRedis(config, async (redis) => redisHeadroomProblem(await redis.info('memory')));
}
