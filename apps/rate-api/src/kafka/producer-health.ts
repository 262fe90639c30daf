import { ProducerLifecycleHealth } from '@rate/kafka';

/** A failed produce keeps readiness red this long; then traffic may probe Kafka again. */
export const FAILURE_HOLD_MS = 5000;
/**
 * Failures older than this say nothing about now: without traffic (readiness red takes the replica
 * out of the balancer for a while) nothing fails, and liveness must not restart a replica on
 * old news.
 */
export const RECENT_FAILURE_MS = 30_000;

/** Why the replica should not get traffic now, or null. */
export function producerReadiness(health: ProducerLifecycleHealth, now: number, kafkaUnwritable = false): string | null {
  if (!health.connected) return `producer not connected to Kafka${health.lastFailure ? ` (${health.lastFailure})` : ''}`;
  // A failed produce takes this replica out of rotation so the others take the traffic. When Kafka
  // itself cannot take acks=all writes (a partition without a leader or an in-sync quorum), every
  // replica fails alike: out of rotation, clients would get refused connections instead of 503s.
  if (health.lastFailureAt !== null && now - health.lastFailureAt < FAILURE_HOLD_MS && !kafkaUnwritable) {
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
