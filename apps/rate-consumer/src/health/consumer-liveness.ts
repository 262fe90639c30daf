import { Inject, Injectable } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { AggregationService } from '../aggregation/aggregation.service';
import { ConsumerState } from '../kafka/consumer-state';

/**
 * Within the probe's timeout (Kubernetes' default: 1 s). A backlog that cannot be measured in
 * time (Kafka or Redis slow or down) is no reason to restart.
 */
const BACKLOG_TIMEOUT_MS = 800;

/**
 * Liveness: a member that crashed, or that has records waiting in its partitions but applied
 * nothing for CONSUMER_STALL_S, cannot heal itself — restarting it is the remedy (Kubernetes'
 * liveness probe; a fresh member rejoins the group). An idle member of a quiet topic is alive,
 * and so is one that waits for Kafka or Redis: readiness names those, a restart would not help.
 */
@Injectable()
export class ConsumerLiveness {
  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    private readonly state: ConsumerState,
    private readonly aggregation: AggregationService,
  ) {}

  async problem(now = Date.now()): Promise<string | null> {
    if (this.state.crashed) return `consumer crashed: ${this.state.crashed}`;
    const idleMs = this.state.idleBeyond(this.config.consumerStallS * 1000, now);
    if (idleMs === null) return null;
    // Not in the group: whatever waits anywhere in the topic is this member's business too.
    const partitions = this.state.joined ? this.state.assigned : null;
    const waiting = await withTimeout(this.aggregation.backlog(this.config.kafkaTopic, partitions), BACKLOG_TIMEOUT_MS).catch(() => null);
    if (waiting === null || waiting === 0) return null;
    return `no progress for ${Math.round(idleMs / 1000)} s with ${waiting} records waiting`;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
