import { Injectable } from '@nestjs/common';

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
  /** Last batch handled to the end (applied, skipped or sought back), or the last join. */
  lastProgressAt = Date.now();
  /** Partitions of the topic this member was given at its last join. */
  assigned: number[] = [];
  readonly stuckAfterMs = 30_000;

  joinedGroup(partitions: number[], now = Date.now()): void {
    this.joined = true;
    this.crashed = null;
    this.assigned = partitions;
    this.lastFetchAt = now;
    this.lastProgressAt = now;
  }

  progressed(now = Date.now()): void {
    this.lastProgressAt = now;
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

  /** Milliseconds since the last progress, when over the limit (and not shutting down): a stall to check. */
  idleBeyond(limitMs: number, now = Date.now()): number | null {
    const idle = now - this.lastProgressAt;
    return !this.stopping && idle > limitMs ? idle : null;
  }
}
