import { Inject, Injectable } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { AggregateRepository } from '@rate/redis';
import { AggregationService } from '../aggregation/aggregation.service';
import { ConsumerState } from '../kafka/consumer-state';

/**
 * Within the probe's timeout (Kubernetes' default: 1 s). A backlog that cannot be measured in
 * time (Kafka or Redis slow or down) is no reason to restart.
 */
const BACKLOG_TIMEOUT_MS = 800;

/**
 * Liveness: a member that crashed, that has a partition with records waiting but applied nothing
 * to it for CONSUMER_STALL_S, or that stayed out of its group that long while records wait,
 * cannot heal itself — restarting it is the remedy (Kubernetes' liveness probe; a fresh member
 * rejoins the group). Judged per partition: one partition stuck beside others that progress is
 * still stuck. An idle member of a quiet topic is alive, and so is one that waits for Kafka or
 * Redis, or whose writes Redis refuses (OOM): readiness names those, a restart would not help.
 */
@Injectable()
export class ConsumerLiveness {
  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    private readonly state: ConsumerState,
    private readonly aggregation: AggregationService,
    private readonly aggregates: AggregateRepository,
  ) {}

  async problem(now = Date.now()): Promise<string | null> {
    if (this.state.crashed) return `consumer crashed: ${this.state.crashed}`;
    const limitMs = this.config.consumerStallS * 1000;
    const outMs = this.state.outOfGroupBeyond(limitMs, now);
    if (outMs !== null) {
      const waiting = await this.waiting(null);
      return waiting ? `out of its group for ${Math.round(outMs / 1000)} s with ${waiting} records waiting` : null;
    }
    const stalled = this.state.stalled(limitMs, now).filter((p) => !this.aggregates.refusesWrites(p));
    if (stalled.length === 0) return null;
    const waiting = await this.waiting(stalled);
    if (!waiting) return null;
    return `partitions ${stalled.join(', ')}: no progress for ${Math.round(this.state.idleMs(stalled, now) / 1000)} s with ${waiting} records waiting`;
  }

  /** Records waiting in the given partitions (the whole topic for null); null when not measurable in time. */
  private waiting(partitions: number[] | null): Promise<number | null> {
    return withTimeout(this.aggregation.backlog(this.config.kafkaTopic, partitions), BACKLOG_TIMEOUT_MS).catch(() => null);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
