import { ProducerLifecycleHealth } from '@rate/kafka';

/** A failed produce keeps the rate_kafka_ready metric at 0 this long. */
export const FAILURE_HOLD_MS = 5000;
/**
 * Failures older than this say nothing about now: without traffic nothing fails, and liveness must
 * not restart a replica on old news.
 */
export const RECENT_FAILURE_MS = 30_000;

/**
 * Why the replica should not get traffic, or null: only before its first producer connected. After
 * that, Kafka trouble (a broker away, no in-sync quorum, a producer being replaced) hits every
 * replica alike, and out of rotation they would leave clients refused connections instead of 503s
 * (seen on the real node with two of three brokers deleted). A replica whose own producer is stuck
 * while Kafka takes writes is liveness' case.
 */
export function producerReadiness(health: ProducerLifecycleHealth): string | null {
  if (health.connectedOnce) return null;
  return `producer not connected to Kafka yet${health.lastFailure ? ` (${health.lastFailure})` : ''}`;
}

/** Why produce requests fail now, or null: the rate_kafka_ready metric, not readiness. */
export function producerTrouble(health: ProducerLifecycleHealth, now: number): string | null {
  if (!health.connected) return `producer not connected to Kafka${health.lastFailure ? ` (${health.lastFailure})` : ''}`;
  if (health.lastFailureAt !== null && now - health.lastFailureAt < FAILURE_HOLD_MS) {
    return `the last produce request to Kafka failed (${health.lastFailure})`;
  }
  return null;
}

/**
 * Why the producer looks wedged, or null: every send (or every attempt to connect a fresh producer)
 * has failed for stallMs and failures are still coming. Whether Kafka itself could take the
 * writes is the caller's second question — restarting a replica never fixes a Kafka outage.
 */
export function producerLiveness(health: ProducerLifecycleHealth, now: number, stallMs: number): string | null {
  if (health.failingSince === null || health.lastFailureAt === null) return null;
  if (now - health.failingSince < stallMs) return null;
  if (now - health.lastFailureAt > RECENT_FAILURE_MS) return null;
  return `no produce request succeeded for ${Math.round((now - health.failingSince) / 1000)} s (last: ${health.lastFailure})`;
}
