import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { JsonLogger, TRACEPARENT_HEADER } from '@rate/observability';
import { PARTITIONS_ASSIGNED_PATTERN, RATE_BATCH_PATTERN } from '../rate-consumer.constants';
import { ConsumerState } from './consumer-state';
import { BatchOutcome, PartitionRecords, PartitionsAssigned, PartitionSeek } from './partition-batch';
import { setTimeout as sleep } from 'node:timers/promises';

export interface KafkaBatchOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  state: ConsumerState;
  logger: JsonLogger;
  /** Delay between attempts of a failed handler (Redis down); tests shorten it. */
  retryDelayMs?: number;
}

const RETRY_DELAY_MS = 500;
const SUBSCRIBE_ATTEMPTS = 60;
/**
 * The broker answers a fetch as soon as one record is there (minBytes 1), so this wait only bounds
 * an empty fetch: an idle member asks once a second, not fifty times (its CPU and the broker's).
 */
const FETCH_WAIT_MS = 1000;
/**
 * After a small batch the partition's worker lingers before the next fetch, so that under load
 * the next batch carries what arrived meanwhile: a fetch, a Lua call and a commit per rating would
 * cost the consumer and the broker more than the ratings. Freshness pays up to this linger.
 */
const LINGER_MS = 20;
const LINGER_BELOW_RECORDS = 64;
/** Batches of different partitions are applied side by side (their Redis keys never overlap), so lingers overlap too. */
const PARTITIONS_CONCURRENTLY = 6;
/** Redis holds the applied offsets; Kafka's commit only feeds lag monitoring, so once a second is enough. */
const COMMIT_INTERVAL_MS = 1000;
/** Backoff of this strategy's own restarts after a crash kafkajs does not restart from. */
const RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * Nest's built-in Kafka transport hands messages over one at a time (kafkajs eachMessage); this
 * strategy hands over a partition's whole batch, so it reaches Redis in one round trip. It owns
 * the Kafka side of exactly-once: resolve (and periodically commit) an offset only after the
 * handler applied the batch, seek where the handler says Redis stands — on every assignment,
 * before the first fetch, and whenever Redis turns out to be behind a batch.
 *
 * Only the handler's own failures (Redis down) are retried here. Kafka's errors from commit and
 * heartbeat (rebalance in progress, unknown member, not coordinator) propagate to kafkajs, which
 * rejoins the group: swallowing them leaves a member that never rejoins.
 */
export class KafkaBatchStrategy extends Server implements CustomTransportStrategy {
  private consumer: Consumer | null = null;
  /** Bumped at every join: a resume planned for an older assignment must not touch the new one. */
  private generation = 0;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Looked up once: Nest's lookup JSON.parses the pattern and throws on a plain string, per call. */
  private handlers: { batch: MessageHandler; assigned: MessageHandler } | null = null;

  constructor(private readonly options: KafkaBatchOptions) {
    super();
  }

  async listen(callback: () => void): Promise<void> {
    const [batch, assigned] = [RATE_BATCH_PATTERN, PARTITIONS_ASSIGNED_PATTERN].map((pattern) => {
      const handler = this.getHandlerByPattern(pattern);
      if (!handler) throw new Error(`no handler for ${pattern}`);
      return handler;
    });
    this.handlers = { batch, assigned };
    await this.start();
    callback();
  }

  private async start(): Promise<void> {
    const { kafka, groupId, topic, state } = this.options;
    // A short session lets the group drop a crashed member (or this one's pre-restart self after a
    // broker restart) in seconds instead of kafkajs' default 30 s, so partitions resume quickly.
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
      sessionTimeout: 10_000,
      rebalanceTimeout: 15_000,
      heartbeatInterval: 1_000,
      minBytes: 1,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CONNECT, () => state.connectionChanged(true));
    consumer.on(consumer.events.DISCONNECT, () => state.connectionChanged(false));
    consumer.on(consumer.events.REBALANCING, () => {
      state.leftGroup();
      this.generation++;
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = (event.payload as { memberAssignment: Record<string, number[]> }).memberAssignment;
      this.onAssignment(consumer, assignment[topic] ?? []);
    });
    consumer.on(consumer.events.FETCH, () => state.fetched());
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.options.logger.write('error', 'consumer crashed', { error: error.message, restart });
      state.leftGroup();
      this.generation++;
      if (restart) return;
      // kafkajs gives up on errors it deems fatal (no group coordinator yet on a fresh broker,
      // a topic deleted under it); this member tries again rather than idle until someone restarts it.
      state.crashedWith(error.message);
      this.scheduleRestart();
    });
    await consumer.connect();
    // Right after creation a topic's metadata may not have reached every broker yet.
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        break;
      } catch (error) {
        if (attempt >= SUBSCRIBE_ATTEMPTS) throw error;
        await sleep(RETRY_DELAY_MS);
      }
    }
    await consumer.run({
      // Only offsets resolved after Redis applied them are committed (and on leaving the group).
      autoCommit: true,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private scheduleRestart(): void {
    if (this.options.state.stopping || this.restartTimer) return;
    const delay = RESTART_DELAYS_MS[Math.min(this.restarts, RESTART_DELAYS_MS.length - 1)];
    this.restarts++;
    this.options.logger.write('warn', 'restarting the Kafka consumer', { inMs: delay, attempt: this.restarts });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.restart();
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.options.state.stopping) return;
    await this.consumer?.disconnect().catch(() => undefined);
    try {
      await this.start();
    } catch (error) {
      this.options.logger.write('error', 'Kafka consumer restart failed', { error: (error as Error).message });
      this.options.state.crashedWith((error as Error).message);
      this.scheduleRestart();
    }
  }

  /**
   * GROUP_JOIN is emitted before the first fetch of the new assignment: pause the partitions at
   * once, ask the handler where Redis stands, seek there, then resume — so a quiet partition whose
   * Redis lost writes is refilled now, not when its next record happens to arrive.
   */
  private onAssignment(consumer: Consumer, partitions: number[]): void {
    const generation = ++this.generation;
    this.restarts = 0;
    this.options.state.joinedGroup(partitions);
    if (partitions.length === 0) return;
    const topicPartitions = [{ topic: this.options.topic, partitions }];
    consumer.pause(topicPartitions);
    void this.resumeFromRedis(consumer, generation, { topic: this.options.topic, partitions });
  }

  private async resumeFromRedis(consumer: Consumer, generation: number, assigned: PartitionsAssigned): Promise<void> {
    const handler = this.handlers!.assigned;
    while (generation === this.generation && !this.options.state.stopping) {
      try {
        const seeks = await lastValueFrom(this.transformToObservable<PartitionSeek[]>(await handler(assigned)));
        if (generation !== this.generation) return;
        for (const { partition, offset } of seeks) consumer.seek({ topic: assigned.topic, partition, offset });
        consumer.resume([{ topic: assigned.topic, partitions: assigned.partitions }]);
        this.options.logger.write('info', 'assigned partitions resume where Redis stands', { seeks });
        return;
      } catch (error) {
        this.options.logger.write('warn', 'cannot resume assigned partitions yet, retrying', { error: (error as Error).message });
        await sleep(this.options.retryDelayMs ?? RETRY_DELAY_MS);
      }
    }
  }

  private async handleBatch({
    batch,
    resolveOffset,
    commitOffsetsIfNecessary,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const handler = this.handlers!.batch;
    const records: PartitionRecords = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.firstOffset() ?? batch.messages[0].offset,
      lastOffset: batch.lastOffset(),
      highWatermark: batch.highWatermark,
      records: batch.messages.map((m) => ({
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        traceparent: m.headers?.[TRACEPARENT_HEADER]?.toString(),
      })),
    };
    for (;;) {
      if (!isRunning() || isStale()) return;
      let outcome: BatchOutcome;
      try {
        outcome = await lastValueFrom(this.transformToObservable<BatchOutcome>(await handler(records)));
      } catch (error) {
        // The handler's dependency failed (Redis down): retry the same batch. Nothing is
        // resolved, so nothing is skipped; readiness names Redis as the cause.
        this.options.logger.write('warn', 'batch not applied, retrying', { partition: batch.partition, error: (error as Error).message });
        // Outside the try on purpose: a heartbeat that finds the group rebalancing must reach kafkajs.
        await heartbeat();
        await sleep(this.options.retryDelayMs ?? RETRY_DELAY_MS);
        continue;
      }
      if (outcome.kind === 'seek') {
        this.options.logger.write('warn', 'Redis is not where this batch starts, seeking', {
          partition: batch.partition,
          offset: outcome.offset,
        });
        this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: outcome.offset });
        return;
      }
      this.options.state.applied(batch.partition);
      resolveOffset(records.lastOffset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      if (records.records.length < LINGER_BELOW_RECORDS && !this.options.state.stopping) await sleep(LINGER_MS);
      return;
    }
  }

  /** SIGTERM: stop fetching, let the batch in hand finish and commit, leave the group. */
  async close(): Promise<void> {
    this.options.state.beginStopping();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.consumer?.disconnect();
  }

  on(): never {
    throw new Error('KafkaBatchStrategy does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
