import { Admin, ConfigResourceTypes } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Replication wanted for the project's topics; -1 = whatever the broker's defaults say. */
export interface TopicDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

export const BROKER_DEFAULT_DURABILITY: TopicDurability = { replicationFactor: -1, minInsyncReplicas: -1 };

/** What a topic actually has: the smallest replica count over its partitions, and its min.insync.replicas. */
export interface TopicReplication {
  replicationFactor: number;
  minInsyncReplicas: number;
}

export interface TopicState extends TopicReplication {
  partitions: number;
}

/**
 * The topic exists with weaker settings than configured (or cannot be created with them): acks=all
 * would not mean what the operator asked for, so the process refuses to start.
 */
export class TopicSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicSettingsError';
  }
}

const MIN_ISR = 'min.insync.replicas';
/** createTopics errors that no retry can fix: the settings themselves are refused. */
const SETTINGS_REFUSED = new Set(['INVALID_REPLICATION_FACTOR', 'INVALID_CONFIG', 'POLICY_VIOLATION', 'INVALID_REQUEST']);

/**
 * Creates the topics if missing (idempotent: "already exists" is fine, every replica races to do
 * it at start) with the configured replication, checks that every topic keeps the configured
 * guarantee, and returns what each topic actually has (its partition count may exceed the configured one).
 */
export async function ensureTopics(
  admin: Admin,
  specs: TopicSpec[],
  durability: TopicDurability = BROKER_DEFAULT_DURABILITY,
): Promise<Map<string, TopicState>> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    const configEntries = durability.minInsyncReplicas > 0 ? [{ name: MIN_ISR, value: String(durability.minInsyncReplicas) }] : [];
    await admin
      .createTopics({
        waitForLeaders: true,
        topics: missing.map(({ topic, numPartitions }) => ({
          topic,
          numPartitions,
          replicationFactor: durability.replicationFactor,
          configEntries,
        })),
      })
      .catch((error: Error & { errors?: { type?: string; message?: string }[] }) => {
        const refused = (error.errors ?? []).find((e) => e.type !== undefined && SETTINGS_REFUSED.has(e.type));
        if (!refused) throw error;
        throw new TopicSettingsError(
          `cannot create ${missing.map((m) => JSON.stringify(m.topic)).join(', ')} with replication factor ${durability.replicationFactor} ` +
            `and ${MIN_ISR} ${durability.minInsyncReplicas} (-1 = broker default): ${refused.message ?? refused.type}`,
        );
      });
  }
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  const minIsr = await minInsyncReplicas(
    admin,
    specs.map((s) => s.topic),
  );
  const states = new Map<string, TopicState>(
    metadata.topics.map((t) => [
      t.name,
      {
        partitions: t.partitions.length,
        replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
        minInsyncReplicas: minIsr.get(t.name) ?? 1,
      },
    ]),
  );
  const problems = [...states].flatMap(([topic, state]) => durabilityProblems(topic, state, durability));
  if (problems.length > 0) throw new TopicSettingsError(problems.join('; '));
  return states;
}

async function minInsyncReplicas(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [MIN_ISR] })),
  });
  return new Map(
    described.resources.map((r) => [r.resourceName, Number(r.configEntries.find((e) => e.configName === MIN_ISR)?.configValue ?? '1')]),
  );
}

/**
 * Why a topic breaks the configured guarantee (empty when it keeps it). More replicas or a higher
 * min.insync.replicas than asked for only strengthen it; a min.insync.replicas above the
 * replication factor makes every acks=all write fail, whatever was configured.
 */
export function durabilityProblems(topic: string, actual: TopicReplication, wanted: TopicDurability): string[] {
  const problems: string[] = [];
  const name = JSON.stringify(topic);
  if (wanted.replicationFactor > 0 && actual.replicationFactor < wanted.replicationFactor) {
    problems.push(
      `topic ${name} has replication factor ${actual.replicationFactor}, below KAFKA_REPLICATION_FACTOR=${wanted.replicationFactor}`,
    );
  }
  if (wanted.minInsyncReplicas > 0 && actual.minInsyncReplicas < wanted.minInsyncReplicas) {
    problems.push(`topic ${name} has ${MIN_ISR}=${actual.minInsyncReplicas}, below KAFKA_MIN_INSYNC_REPLICAS=${wanted.minInsyncReplicas}`);
  }
  if (actual.minInsyncReplicas > actual.replicationFactor) {
    problems.push(
      `topic ${name} has ${MIN_ISR}=${actual.minInsyncReplicas} above its replication factor ${actual.replicationFactor}: no acks=all write can succeed`,
    );
  }
  return problems;
}
