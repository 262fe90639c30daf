import { Kafka } from 'kafkajs';
import { eventually, readAggregate } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request of an audited load: every request rates its own subject, so each answer can be checked. */
export interface Outcome {
  subject: string;
  rate: number;
  /** HTTP status, or 'error' when no HTTP answer came back (connection refused or reset). */
  status: number | 'error';
  id?: string;
  sentAt: number;
  answeredAt: number;
}

export interface LoadOptions {
  /** Concurrent request loops. */
  workers: number;
  /** Pause of each loop between its requests (keeps the offered load steady and modest). */
  pauseMs: number;
  headers?: (subject: string) => Record<string, string>;
}

/** Closed loops of POST /rate, each request with a subject of its own, until stop() is called. */
export function auditedLoad(
  baseUrl: string,
  prefix: string,
  options: LoadOptions,
): { outcomes: Outcome[]; stop: () => Promise<Outcome[]> } {
  const outcomes: Outcome[] = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: options.workers }, async () => {
    while (running) {
      const n = next++;
      const subject = `${prefix}-${n}`;
      const rate = (n % 10) + 1;
      const sentAt = Date.now();
      let status: number | 'error';
      let id: string | undefined;
      try {
        const response = await fetch(`${baseUrl}/rate?rate=${rate}&subject=${subject}`, {
          method: 'POST',
          headers: options.headers?.(subject),
        });
        status = response.status;
        const body = (await response.json().catch(() => ({}))) as { id?: string };
        id = body.id;
      } catch {
        status = 'error';
      }
      outcomes.push({ subject, rate, status, id, sentAt, answeredAt: Date.now() });
      await sleep(options.pauseMs);
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

export interface AggregateAudit {
  accepted: number;
  failed: number;
  /** 202 whose subject never showed up in the aggregate. */
  lost: string[];
  /** Subjects counted more than once. */
  duplicated: string[];
  /** Answered with an error, aggregated anyway (a late acknowledgement: allowed, reported). */
  writtenDespiteError: number;
}

/** Reads every request's subject back through GET /rate (a few at a time) and classifies each answer. */
export async function auditAggregates(baseUrl: string, outcomes: Outcome[]): Promise<AggregateAudit> {
  const counts = new Map<string, number>();
  const queue = [...outcomes];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let o = queue.pop(); o; o = queue.pop()) counts.set(o.subject, (await readAggregate(o.subject, baseUrl)).count);
    }),
  );
  const accepted = outcomes.filter((o) => o.status === 202);
  const failed = outcomes.filter((o) => o.status !== 202);
  return {
    accepted: accepted.length,
    failed: failed.length,
    lost: accepted.filter((o) => counts.get(o.subject) === 0).map((o) => o.subject),
    duplicated: outcomes.filter((o) => (counts.get(o.subject) ?? 0) > 1).map((o) => o.subject),
    writtenDespiteError: failed.filter((o) => (counts.get(o.subject) ?? 0) > 0).length,
  };
}

/** The audit once every accepted rating is aggregated, or as it stands after timeoutMs. */
export function auditWhenSettled(baseUrl: string, outcomes: Outcome[], timeoutMs = 90_000): Promise<AggregateAudit> {
  return eventually(
    'every accepted rating aggregated',
    () => auditAggregates(baseUrl, outcomes),
    (a) => a.lost.length === 0,
    timeoutMs,
  ).catch(() => auditAggregates(baseUrl, outcomes));
}

/** Each partition's high watermark: where the records produced from now on will start. */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * How often each event id occurs in the topic from `from` up to the current end: the producer's
 * own promise (a 202 means the event is in Kafka), checked without depending on the consumer.
 */
export async function eventIdsSince(kafka: Kafka, topic: string, from: Map<number, string>): Promise<Map<string, number>> {
  const to = await topicEnds(kafka, topic);
  const remaining = new Set([...to].filter(([p, high]) => BigInt(high) > BigInt(from.get(p) ?? '0')).map(([p]) => p));
  const ids = new Map<string, number>();
  if (remaining.size === 0) return ids;
  const consumer = kafka.consumer({ groupId: `rate-audit-${Date.now()}-${Math.random().toString(16).slice(2)}` });
  await consumer.connect();
  try {
    // From the beginning as a fallback; the seeks on joining skip what came before `from`.
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      setTimeout(() => reject(new Error(`topic ${topic} not read to its end within 60 s`)), 60_000).unref();
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (BigInt(message.offset) < BigInt(from.get(partition) ?? '0')) return;
        const id = (JSON.parse(message.value?.toString() ?? '{}') as { id?: string }).id;
        if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
        if (BigInt(message.offset) + 1n >= BigInt(to.get(partition)!)) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    await finished;
    return ids;
  } finally {
    await consumer.disconnect();
  }
}
