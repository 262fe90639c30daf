import { Inject, Injectable, Optional } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';

/**
 * The consumer's own view of its Kafka client, for the health checks: terminus' Kafka ping would
 * open a fresh client per probe and say nothing about this one.
 */
@Injectable()
export class ConsumerState {
  connected = false;
  joined = false;
  crashed: string | null = null;
  stopping = false;
  lastFetchAt = 0;
  /** Partitions of the topic this member was given at its last join. */
  assigned: number[] = [];
  /** Readiness: no fetch for this long means the client is stuck (CONSUMER_STALL_S). */
  readonly stuckAfterMs: number;
  /** Since when this member is out of its group (not joined yet, rebalancing, crashed); null while in it. */
  private outOfGroupSince: number | null = Date.now();
  /**
   * Per assigned partition, when it last made progress: a batch applied, or the partition newly
   * given to this member. A rejoin that keeps a partition, or a seek, is not progress: a member
   * that rebalance-loops or seeks back forever must still fail liveness.
   */
  private readonly progressAt = new Map<number, number>();

  constructor(@Optional() @Inject(RATE_CONFIG) config?: Pick<RateConfig, 'consumerStallS'>) {
    this.stuckAfterMs = (config?.consumerStallS ?? 60) * 1000;
  }

  joinedGroup(partitions: number[], now = Date.now()): void {
    this.joined = true;
    this.crashed = null;
    this.outOfGroupSince = null;
    this.assigned = partitions;
    this.lastFetchAt = now;
    for (const p of this.progressAt.keys()) if (!partitions.includes(p)) this.progressAt.delete(p);
    for (const p of partitions) if (!this.progressAt.has(p)) this.progressAt.set(p, now);
  }

  leftGroup(now = Date.now()): void {
    this.joined = false;
    this.outOfGroupSince ??= now;
  }

  applied(partition: number, now = Date.now()): void {
    if (this.progressAt.has(partition)) this.progressAt.set(partition, now);
  }

  /** Assigned partitions without progress for longer than `limitMs` (none while shutting down or out of the group). */
  stalled(limitMs: number, now = Date.now()): number[] {
    if (this.stopping || !this.joined) return [];
    return this.assigned.filter((p) => now - (this.progressAt.get(p) ?? now) > limitMs);
  }

  /** Milliseconds out of the group, when over the limit (and not shutting down). */
  outOfGroupBeyond(limitMs: number, now = Date.now()): number | null {
    if (this.stopping || this.outOfGroupSince === null) return null;
    const out = now - this.outOfGroupSince;
    return out > limitMs ? out : null;
  }

  /** Milliseconds since the given partitions' oldest progress. */
  idleMs(partitions: number[], now = Date.now()): number {
    return Math.max(0, ...partitions.map((p) => now - (this.progressAt.get(p) ?? now)));
  }

  /** Readiness: why this member cannot consume right now, or null. */
  problem(now = Date.now()): string | null {
    if (this.stopping) return 'shutting down';
    if (this.crashed) return `consumer crashed: ${this.crashed}`;
    if (!this.connected) return 'consumer not connected to Kafka';
    if (!this.joined) return 'consumer has not joined its group yet';
    if (now - this.lastFetchAt > this.stuckAfterMs) return `no fetch from Kafka for ${Math.round((now - this.lastFetchAt) / 1000)} s`;
    return null;
  }
}
