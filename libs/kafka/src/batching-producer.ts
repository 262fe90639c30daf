import { Message, PartitionMetadata, Partitioners, ProducerRecord } from 'kafkajs';

/** The event could not be acknowledged by Kafka in time: the caller answers 503, never 202. */
export class ProduceUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ProduceUnavailableError';
  }
}

/** Where batches go: the ProducerLifecycle, which replaces a producer after a failed send. */
export interface BatchSender {
  /** Sends the records at once, on one producer; each settles on its own. */
  sendEach(records: ProducerRecord[]): Promise<PromiseSettledResult<unknown>[]>;
}

export interface BatchObserver {
  batchSent(size: number, seconds: number, ok: boolean): void;
}

interface Pending {
  message: Message;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/**
 * Gathers concurrent sends into batches (kafkajs has no linger): while a batch is in flight, new
 * messages queue; when it is acknowledged, everything queued goes out as the next batch. An idle
 * producer waits lingerMs for the first batch to fill. Each caller resolves only with its own
 * partition's ack (acks=all).
 *
 * A batch goes out as one kafkajs send per partition, the partition chosen here by kafkajs' own
 * partitioner (murmur2 of the key, as before). kafkajs 2.2.4 retries a send that spans partitions
 * by re-sending every partition whose current leader has not answered yet — also a partition
 * another broker already acknowledged before its leadership moved, with an advanced sequence
 * number, so it is appended twice (kafkajs-resend.spec.ts). A send of one partition is either
 * acknowledged or rolled back whole, and its retry is deduplicated by the broker.
 */
export class BatchingProducer {
  private queue: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly producer: BatchSender,
    private readonly topic: string,
    private readonly maxBatch: number,
    private readonly timeoutMs: number,
    private readonly observer?: BatchObserver,
    /** How long the first message of an idle producer waits for company (Kafka's linger.ms). */
    private readonly lingerMs = 0,
    /** The topic's partition count, as the producer last read it. */
    private readonly partitions: () => number = () => 1,
  ) {}

  private readonly partitioner = Partitioners.DefaultPartitioner();

  send(message: Message): Promise<void> {
    if (this.closed) return Promise.reject(new ProduceUnavailableError('shutting down'));
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        message,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          // Still queued: drop it so it is never produced. Already in flight: it may still land,
          // but the caller is told 503, never a 202 that Kafka did not confirm.
          this.queue = this.queue.filter((p) => p !== entry);
          this.settle(entry, new ProduceUnavailableError(`Kafka did not acknowledge within ${this.timeoutMs} ms`));
        }, this.timeoutMs),
      };
      this.queue.push(entry);
      if (this.inFlight) return;
      if (this.lingerMs === 0 || this.queue.length >= this.maxBatch) this.pump();
      else this.lingerTimer ??= setTimeout(() => this.pump(), this.lingerMs);
    });
  }

  /** Resolves when everything accepted so far has been sent (or failed). */
  async flush(): Promise<void> {
    this.closed = true;
    if (this.lingerTimer) this.pump();
    while (this.inFlight) await this.inFlight;
  }

  private pump(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) {
      this.inFlight = null;
      return;
    }
    this.inFlight = this.sendBatch(batch).finally(() => this.pump());
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const started = process.hrtime.bigint();
    const groups = this.byPartition(batch);
    const records = groups.map((group) => ({ topic: this.topic, acks: -1, messages: group.map((p) => p.message) }));
    const results = await this.producer
      .sendEach(records)
      .catch((error: unknown) => records.map(() => ({ status: 'rejected' as const, reason: error })));
    this.observer?.batchSent(
      batch.length,
      seconds(started),
      results.every((r) => r.status === 'fulfilled'),
    );
    results.forEach((result, i) => {
      const error =
        result.status === 'rejected' ? new ProduceUnavailableError(`Kafka produce failed: ${reasonOf(result.reason)}`) : undefined;
      for (const entry of groups[i]) this.settle(entry, error);
    });
  }

  /** The batch's messages grouped by the partition they go to (set on each message). */
  private byPartition(batch: Pending[]): Pending[][] {
    const partitionMetadata = Array.from({ length: Math.max(1, this.partitions()) }, (_, partitionId) => ({ partitionId, leader: 0 }));
    const groups = new Map<number, Pending[]>();
    for (const entry of batch) {
      const partition =
        entry.message.partition ??
        this.partitioner({ topic: this.topic, partitionMetadata: partitionMetadata as PartitionMetadata[], message: entry.message });
      entry.message = { ...entry.message, partition };
      const group = groups.get(partition);
      if (group) group.push(entry);
      else groups.set(partition, [entry]);
    }
    return [...groups.values()];
  }

  private settle(entry: Pending, error?: Error): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
