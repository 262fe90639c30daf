import { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/**
 * Creates the topics if missing (idempotent: "already exists" is fine, every replica races to do
 * it at start) and returns each topic's actual partition count, which may exceed the configured one.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, numPartitions }) => ({ topic, numPartitions, replicationFactor: -1 })),
    });
  }
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
}
