import { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { ProduceUnavailableError } from './batching-producer';

export interface ProducerLifecycleOptions {
  /** Wait before the next attempt after a producer could not connect. */
  reconnectDelayMs: number;
  /** Ceiling of the wait between replacements when sends keep failing. */
  maxReplaceDelayMs: number;
  /**
   * How long one send may take. kafkajs retries a send internally for up to ≈ 20 s; every request
   * queued behind it would time out although a fresh producer would be acknowledged at once. The
   * callers of a batch this late were already answered 503, so the producer is retired.
   */
  sendTimeoutMs?: number;
  onEvent?: (event: ProducerLifecycleEvent) => void;
}

export type ProducerLifecycleEvent =
  | { type: 'connected'; generation: number }
  | { type: 'connect-failed'; generation: number; reason: string }
  | { type: 'retired'; generation: number; reason: string };

/** What readiness and liveness are computed from. */
export interface ProducerLifecycleHealth {
  connected: boolean;
  /** Some producer connected since the start. */
  connectedOnce: boolean;
  /** Start of the current run of failures (sends or connects) with no successful send since; null when the last send succeeded. */
  failingSince: number | null;
  lastFailureAt: number | null;
  lastFailure: string | null;
}

/**
 * A producer serves only until its first failed send. kafkajs (2.2.4) rolls an idempotent
 * producer's sequence numbers back when a produce request fails, although the broker may have
 * appended it (a timeout is not a refusal). The next batch would go out on the same producer id
 * with the same sequence range: the broker either takes it for a duplicate of what it appended
 * and acknowledges it without storing it (a 202 for a rating that is nowhere), or answers
 * OUT_OF_ORDER_SEQUENCE_NUMBER to every later batch of that partition (wedged). So a failed send
 * retires its producer (disconnected, never used again) and the next send goes out on a fresh
 * producer: a new producer id whose sequences start at 0 cannot collide with anything.
 *
 * Sends are serialised: a send (or the records of one sendEach) starts only after the previous one
 * settled, so the retirement of a failed producer always happens before the next batch picks one.
 */
export class ProducerLifecycle {
  private current: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private previous: Promise<unknown> = Promise.resolve();
  private generation = 0;
  private connectedOnce = false;
  private consecutiveFailures = 0;
  private stopped = false;
  private failingSince: number | null = null;
  private lastFailureAt: number | null = null;
  private lastFailure: string | null = null;

  constructor(
    private readonly create: () => Producer,
    private readonly options: ProducerLifecycleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Connects the first producer; on failure it keeps retrying in the background. */
  async start(): Promise<boolean> {
    return this.connect().then(
      () => true,
      () => false,
    );
  }

  /** A producer is connected, or a replacement is on its way (sends wait for it). */
  get available(): boolean {
    return !this.stopped && (this.current !== null || this.connecting !== null);
  }

  get health(): ProducerLifecycleHealth {
    return {
      connected: this.current !== null,
      connectedOnce: this.connectedOnce,
      failingSince: this.failingSince,
      lastFailureAt: this.lastFailureAt,
      lastFailure: this.lastFailure,
    };
  }

  /** The records at once on one producer, each settling on its own; any failure retires the producer once all settled. */
  sendEach(records: ProducerRecord[]): Promise<PromiseSettledResult<RecordMetadata[]>[]> {
    const result = this.previous.then(() => this.sendNow(records));
    this.previous = result;
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.previous;
    const producer = this.current ?? (await this.connecting?.catch(() => null)) ?? null;
    this.current = null;
    await producer?.disconnect().catch(() => undefined);
  }

  private async sendNow(records: ProducerRecord[]): Promise<PromiseSettledResult<RecordMetadata[]>[]> {
    let producer: Producer;
    try {
      producer = await this.acquire();
    } catch (error) {
      return records.map(() => ({ status: 'rejected', reason: error }));
    }
    const results = await Promise.allSettled(records.map((record) => this.withDeadline(producer.send(record))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.retire(producer, reasonOf(failed.reason));
    else {
      this.consecutiveFailures = 0;
      this.failingSince = null;
    }
    return results;
  }

  private withDeadline<T>(send: Promise<T>): Promise<T> {
    const ms = this.options.sendTimeoutMs;
    if (ms === undefined) return send;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProduceUnavailableError(`no acknowledgement within ${ms} ms`)), ms);
    });
    send.catch(() => undefined); // settles on the retired producer after the deadline
    return Promise.race([send, late]).finally(() => clearTimeout(timer));
  }

  private acquire(): Promise<Producer> {
    if (this.stopped) return Promise.reject(new ProduceUnavailableError('shutting down'));
    if (this.current) return Promise.resolve(this.current);
    if (this.connecting) return this.connecting;
    return Promise.reject(new ProduceUnavailableError(`no Kafka producer connected (${this.lastFailure ?? 'reconnecting'})`));
  }

  /**
   * Always a new producer: kafkajs (2.2.4) does not recover a producer whose connect failed half
   * way (a broker frozen during the handshake leaves it failing with "Broker not connected" for
   * good, although the broker is back), so a failed one is disconnected and never tried again.
   */
  private connect(): Promise<Producer> {
    const producer = this.create();
    const generation = ++this.generation;
    this.connecting = producer.connect().then(
      async () => {
        this.connecting = null;
        if (this.stopped) {
          await producer.disconnect().catch(() => undefined);
          throw new ProduceUnavailableError('shutting down');
        }
        this.current = producer;
        this.connectedOnce = true;
        this.options.onEvent?.({ type: 'connected', generation });
        return producer;
      },
      (error: unknown) => {
        this.connecting = null;
        void producer.disconnect().catch(() => undefined);
        const reason = `Kafka producer could not connect: ${reasonOf(error)}`;
        this.failed(reason);
        this.options.onEvent?.({ type: 'connect-failed', generation, reason });
        this.schedule(this.options.reconnectDelayMs);
        throw new ProduceUnavailableError(reason);
      },
    );
    return this.connecting;
  }

  private retire(producer: Producer, reason: string): void {
    if (this.current !== producer) return;
    this.current = null;
    this.consecutiveFailures++;
    this.failed(`Kafka produce failed: ${reason}`);
    this.options.onEvent?.({ type: 'retired', generation: this.generation, reason });
    void producer.disconnect().catch(() => undefined);
    // The first replacement is immediate (a fresh producer id is all it takes); when sends keep
    // failing, replacements back off so a sick cluster is not flooded with InitProducerId calls.
    const delay = Math.min(this.options.maxReplaceDelayMs, this.consecutiveFailures <= 1 ? 0 : 100 * 2 ** (this.consecutiveFailures - 2));
    this.schedule(delay);
  }

  private failed(reason: string): void {
    const at = this.now();
    this.failingSince ??= at;
    this.lastFailureAt = at;
    this.lastFailure = reason;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.retryTimer) return;
    if (delayMs === 0) {
      this.connect().catch(() => undefined);
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && !this.current && !this.connecting) this.connect().catch(() => undefined);
    }, delayMs);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
