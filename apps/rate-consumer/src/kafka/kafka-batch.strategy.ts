import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { JsonLogger, TRACEPARENT_HEADER } from '@rate/observability';
import { RATE_BATCH_PATTERN } from '../rate-consumer.constants';
import { ConsumerState } from './consumer-state';
import { BatchOutcome, PartitionRecords } from './partition-batch';

export interface KafkaBatchOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  state: ConsumerState;
  logger: JsonLogger;
}

const RETRY_DELAY_MS = 500;
const SUBSCRIBE_ATTEMPTS = 60;
const FETCH_WAIT_MS = 20;
/** Redis holds the applied offsets; Kafka's commit only feeds lag monitoring, so once a second is enough. */
const COMMIT_INTERVAL_MS = 1000;

/**
 * Nest's built-in Kafka transport hands messages over one at a time (kafkajs eachMessage); this
 * strategy hands over a partition's whole batch, so it reaches Redis in one round trip. It owns
 * the Kafka side of exactly-once: resolve (and periodically commit) an offset only after the
 * handler applied the batch, or seek back when the handler says Redis is behind.
 */
export class KafkaBatchStrategy extends Server implements CustomTransportStrategy {
  private consumer: Consumer | null = null;

  constructor(private readonly options: KafkaBatchOptions) {
    super();
  }

  async listen(callback: () => void): Promise<void> {
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
      // Let a fetch wait briefly for more records: at moderate rates a fetch per record would
      // cost a Kafka request, a Lua call and a commit per rating. Freshness pays up to this wait.
      minBytes: 64 * 1024,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CONNECT, () => (state.connected = true));
    consumer.on(consumer.events.DISCONNECT, () => (state.connected = false));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      state.joined = true;
      state.lastFetchAt = Date.now();
    });
    consumer.on(consumer.events.FETCH, () => (state.lastFetchAt = Date.now()));
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.options.logger.write('error', 'consumer crashed', { error: error.message, restart });
      if (!restart) state.crashed = error.message;
    });
    await consumer.connect();
    // Right after creation a topic's metadata may not have reached every broker yet.
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        break;
      } catch (error) {
        if (attempt >= SUBSCRIBE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
    await consumer.run({
      // Only offsets resolved after Redis applied them are committed (and on leaving the group).
      autoCommit: true,
      autoCommitInterval: COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    callback();
  }

  private async handleBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const handler = this.getHandlerByPattern(RATE_BATCH_PATTERN);
    if (!handler) throw new Error(`no handler for ${RATE_BATCH_PATTERN}`);
    const records: PartitionRecords = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.firstOffset() ?? batch.messages[0].offset,
      lastOffset: batch.lastOffset(),
      highWatermark: batch.highWatermark,
      records: batch.messages.map((m) => ({ offset: m.offset, key: m.key, value: m.value, traceparent: m.headers?.[TRACEPARENT_HEADER]?.toString() })),
    };
    // A failure (Redis down) retries the same batch here instead of crashing the consumer:
    // nothing is committed, so nothing is skipped, and readiness shows Redis as the cause.
    for (;;) {
      if (!isRunning() || isStale()) return;
      try {
        const outcome = await lastValueFrom(this.transformToObservable<BatchOutcome>(await handler(records)));
        if (outcome.kind === 'seek') {
          this.options.logger.write('warn', 'Redis is behind this batch, seeking back', { partition: batch.partition, offset: outcome.offset });
          this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: outcome.offset });
          return;
        }
        resolveOffset(records.lastOffset);
        await commitOffsetsIfNecessary();
        await heartbeat();
        return;
      } catch (error) {
        this.options.logger.write('warn', 'batch not applied, retrying', { partition: batch.partition, error: (error as Error).message });
        await heartbeat().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }

  /** SIGTERM: stop fetching, let the batch in hand finish and commit, leave the group. */
  async close(): Promise<void> {
    this.options.state.stopping = true;
    await this.consumer?.disconnect();
  }

  on(): never {
    throw new Error('KafkaBatchStrategy does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
