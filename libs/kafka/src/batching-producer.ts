import { Message, ProducerRecord } from 'kafkajs';

/** The event could not be acknowledged by Kafka in time: the caller answers 503, never 202. */
export class ProduceUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ProduceUnavailableError';
  }
}

/** Where batches go: a kafkajs producer, or the ProducerLifecycle that replaces failed ones. */
export interface BatchSender {
  send(record: ProducerRecord): Promise<unknown>;
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
 * Gathers concurrent sends into one Kafka produce request (kafkajs has no linger): while a batch
 * is in flight, new messages queue; when it is acknowledged, everything queued goes out as the
 * next batch. An idle producer waits lingerMs for the first batch to fill. Each caller resolves
 * only with its own batch's ack (acks=all).
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
  ) {}

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
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages: batch.map((p) => p.message) });
      this.observer?.batchSent(batch.length, seconds(started), true);
      for (const entry of batch) this.settle(entry);
    } catch (error) {
      this.observer?.batchSent(batch.length, seconds(started), false);
      const reason = error instanceof Error ? error.message : String(error);
      for (const entry of batch) this.settle(entry, new ProduceUnavailableError(`Kafka produce failed: ${reason}`));
    }
  }

  private settle(entry: Pending, error?: Error): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve();
  }
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
