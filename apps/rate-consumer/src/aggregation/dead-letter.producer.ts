import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IHeaders, Kafka, Message, Producer } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { JsonLogger } from '@rate/observability';
import { ConsumerMetrics } from '../metrics/consumer.metrics';
import { KAFKA_CLIENT } from '../rate-consumer.constants';

export interface DeadLetter {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

/** The reason is our own text but may quote the record (an unknown `v`): bounded like the value. */
export const MAX_REASON_CHARS = 512;
export const MAX_KEY_BYTES = 1024;

/** The root of a kafkajs error chain: its protocol type (MESSAGE_TOO_LARGE…) and whether a retry can help. */
function rootCause(error: unknown): { name: string; retriable: boolean } {
  let e = error as { cause?: unknown; type?: string; name?: string; retriable?: boolean };
  while (e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return { name: e.type ?? e.name ?? 'Error', retriable: e.retriable !== false };
}

/**
 * Copies poison records to the dead-letter topic with the reason and their origin in headers.
 * A copy is bounded (value, key and reason truncated, and a header says so), and a send that
 * fails is never retried beyond the client's bounded retries: the copy is dropped, counted and
 * logged with its origin, and the partition moves on — the record itself stays in its topic.
 */
@Injectable()
export class DeadLetterProducer implements OnApplicationShutdown {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: ConsumerMetrics,
  ) {
    // Not idempotent: kafkajs rolls an idempotent producer's sequence numbers back after a failed
    // send, and the broker may then take the next copy for a duplicate. A copy sent twice after
    // a retry is harmless (dlq-topic/partition/offset identify it); a copy silently lost is not.
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 } });
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const messages = letters.map((l) => this.toMessage(l));
    const failure = await this.trySend(messages);
    if (failure === null) return;
    if (letters.length > 1 && !rootCause(failure).retriable) {
      // One copy the topic refuses (too large, invalid) must not take the others down with it.
      for (const [i, letter] of letters.entries()) {
        const single = await this.trySend([messages[i]]);
        if (single !== null) this.drop(letter, single);
      }
      return;
    }
    for (const letter of letters) this.drop(letter, failure);
  }

  toMessage(letter: DeadLetter): Message {
    const truncated: string[] = [];
    const bound = (buffer: Buffer | null, max: number, what: string): Buffer | null => {
      if (buffer === null || buffer.length <= max) return buffer;
      truncated.push(what);
      return buffer.subarray(0, max);
    };
    const key = bound(letter.key, MAX_KEY_BYTES, 'key');
    const value = bound(letter.value, this.config.dlqMaxValueBytes, 'value');
    let reason = letter.reason;
    if (reason.length > MAX_REASON_CHARS) {
      reason = reason.slice(0, MAX_REASON_CHARS);
      truncated.push('reason');
    }
    const headers: IHeaders = {
      'dlq-reason': reason,
      'dlq-topic': this.config.kafkaTopic,
      'dlq-partition': String(letter.partition),
      'dlq-offset': letter.offset,
    };
    if (truncated.length > 0) {
      headers['dlq-truncated'] = truncated.join(',');
      if (truncated.includes('value')) headers['dlq-value-bytes'] = String(letter.value!.length);
    }
    return { key, value, headers };
  }

  private async trySend(messages: Message[]): Promise<Error | null> {
    try {
      this.connected ??= this.producer.connect().catch((error: Error) => {
        this.connected = null;
        throw error;
      });
      await this.connected;
      await this.producer.send({ topic: this.config.kafkaDlqTopic, acks: -1, messages });
      return null;
    } catch (error) {
      return error as Error;
    }
  }

  private drop(letter: DeadLetter, error: Error): void {
    const cause = rootCause(error);
    this.metrics.deadLettersDropped.inc({ error: cause.name });
    this.logger.write('error', 'dead letter dropped: the dead-letter topic did not take it', {
      partition: letter.partition,
      offset: letter.offset,
      reason: letter.reason.slice(0, MAX_REASON_CHARS),
      error: error.message,
      cause: cause.name,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
