/** How long and how hard each fault runs: the full run, --quick, and the integration test. */
export interface Profile {
  name: 'full' | 'quick' | 'test';
  /** requests per second of the open load */
  rate: number;
  /** every n-th request carries an Idempotency-Key */
  keyEvery: number;
  warmupS: number;
  /** load keeps running this long after the fault ended (and until the API accepts again) */
  tailS: number;
  maxTailS: number;
  /** after the load stops: how long the consumer may take to make every accepted rating visible */
  catchUpTimeoutS: number;
  /** > consumer session (10 s) + produce timeout (3 s): the group and the API both give up on the broker */
  freezeS: number;
  /** > every retry window (producer retries ~4 s, session 10 s, rebalance 15 s) */
  outageS: number;
  leaderDownS: number;
  consumerDownS: number;
  scaleHoldS: number;
  redisDownS: number;
  /** > produce timeout (3 s): requests answer 503 and may still be written when the broker resumes */
  retryFreezeS: number;
  clientTimeoutMs: number;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    // 80/s left no headroom on a 2-core machine shared with other work (3 broker JVMs, 3 API
    // replicas at 500m, 2 consumers, nginx, Redis and the harness): the warm-up was already
    // saturated and the rolling update collapsed into timeouts. The report flags a saturated warm-up.
    rate: 50,
    keyEvery: 4,
    warmupS: 5,
    tailS: 10,
    maxTailS: 120,
    catchUpTimeoutS: 120,
    freezeS: 15,
    outageS: 30,
    leaderDownS: 10,
    consumerDownS: 3,
    scaleHoldS: 10,
    redisDownS: 5,
    retryFreezeS: 8,
    clientTimeoutMs: 10_000,
  },
  quick: {
    name: 'quick',
    rate: 40,
    keyEvery: 4,
    warmupS: 3,
    tailS: 5,
    maxTailS: 120,
    catchUpTimeoutS: 120,
    freezeS: 14,
    outageS: 20,
    leaderDownS: 6,
    consumerDownS: 2,
    scaleHoldS: 6,
    redisDownS: 3,
    retryFreezeS: 6,
    clientTimeoutMs: 10_000,
  },
  test: {
    name: 'test',
    rate: 30,
    keyEvery: 4,
    warmupS: 3,
    tailS: 4,
    maxTailS: 120,
    catchUpTimeoutS: 90,
    freezeS: 14,
    outageS: 20,
    leaderDownS: 5,
    consumerDownS: 2,
    scaleHoldS: 5,
    redisDownS: 3,
    retryFreezeS: 6,
    clientTimeoutMs: 10_000,
  },
};
