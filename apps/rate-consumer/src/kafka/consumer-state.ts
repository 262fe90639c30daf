import { Inject, Injectable, Optional } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';

/**
 * The consumer's own view of its Kafka client, for the health checks: terminus' Kafka ping would
 * open a fresh client per probe and say nothing about this one.
 */
@Injectable()
export class ConsumerState {
  private isConnected = false;
  private inGroup = false;
  private crashReason: string | null = null;
  private isStopping = false;
  private lastFetchAt = 0;
  /** Partitions of the topic this member was given at its last join. */
  private assignment: readonly number[] = [];
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

  get joined(): boolean {
    return this.inGroup;
  }

  get assigned(): readonly number[] {
    return this.assignment;
  }

  /** Why the consumer crashed (kafkajs gave up and a restart is pending), or null. */
  get crashed(): string | null {
    return this.crashReason;
  }

  get stopping(): boolean {
    return this.isStopping;
  }

  connectionChanged(connected: boolean): void {
    this.isConnected = connected;
  }

  fetched(now = Date.now()): void {
    this.lastFetchAt = now;
  }

  crashedWith(reason: string): void {
    this.crashReason = reason;
  }

  /** SIGTERM: readiness goes red, the batch in hand finishes, nothing new starts. */
  beginStopping(): void {
    this.isStopping = true;
  }

  joinedGroup(partitions: number[], now = Date.now()): void {
    this.inGroup = true;
    this.crashReason = null;
    this.outOfGroupSince = null;
    this.assignment = partitions;
    this.lastFetchAt = now;
    for (const p of this.progressAt.keys()) if (!partitions.includes(p)) this.progressAt.delete(p);
    for (const p of partitions) if (!this.progressAt.has(p)) this.progressAt.set(p, now);
  }

  leftGroup(now = Date.now()): void {
    this.inGroup = false;
    this.outOfGroupSince ??= now;
  }

  applied(partition: number, now = Date.now()): void {
    if (this.progressAt.has(partition)) this.progressAt.set(partition, now);
  }

  /** Assigned partitions without progress for longer than `limitMs` (none while shutting down or out of the group). */
  stalled(limitMs: number, now = Date.now()): number[] {
    if (this.isStopping || !this.inGroup) return [];
    return this.assigned.filter((p) => now - (this.progressAt.get(p) ?? now) > limitMs);
  }

  /** Milliseconds out of the group, when over the limit (and not shutting down). */
  outOfGroupBeyond(limitMs: number, now = Date.now()): number | null {
    if (this.isStopping || this.outOfGroupSince === null) return null;
    const out = now - this.outOfGroupSince;
    return out > limitMs ? out : null;
  }

  /** Milliseconds since the given partitions' oldest progress. */
  idleMs(partitions: number[], now = Date.now()): number {
    return Math.max(0, ...partitions.map((p) => now - (this.progressAt.get(p) ?? now)));
  }

  /** Readiness: why this member cannot consume right now, or null. */
  problem(now = Date.now()): string | null {
    if (this.isStopping) return 'shutting down';
    if (this.crashReason) return `consumer crashed: ${this.crashReason}`;
    if (!this.isConnected) return 'consumer not connected to Kafka';
    if (!this.inGroup) return 'consumer has not joined its group yet';
    if (now - this.lastFetchAt > this.stuckAfterMs) return `no fetch from Kafka for ${Math.round((now - this.lastFetchAt) / 1000)} s`;
    return null;
  }
}
