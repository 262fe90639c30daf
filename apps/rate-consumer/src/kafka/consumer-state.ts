import { Injectable } from '@nestjs/common';

/**
 * The consumer's own view of its Kafka client, for readiness: terminus' Kafka ping would open a
 * fresh client per probe and say nothing about this one.
 */
@Injectable()
export class ConsumerState {
  connected = false;
  joined = false;
  crashed: string | null = null;
  stopping = false;
  lastFetchAt = 0;
  readonly stuckAfterMs = 30_000;

  problem(now = Date.now()): string | null {
    if (this.stopping) return 'shutting down';
    if (this.crashed) return `consumer crashed: ${this.crashed}`;
    if (!this.connected) return 'consumer not connected to Kafka';
    if (!this.joined) return 'consumer has not joined its group yet';
    if (now - this.lastFetchAt > this.stuckAfterMs) return `no fetch from Kafka for ${Math.round((now - this.lastFetchAt) / 1000)} s`;
    return null;
  }
}
