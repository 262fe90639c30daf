import { Admin, Kafka } from 'kafkajs';

const PROBE_INTERVAL_MS = 5000;

/**
 * Asks Kafka, with an admin client of its own, whether the topic could take acks=all writes: every
 * partition has a leader and at least min.insync.replicas in sync. Runs in the background (a
 * liveness probe must answer at once) and only when asked, i.e. while produce requests fail.
 */
export class KafkaProbe {
  private admin: Admin | null = null;
  private running: Promise<void> | null = null;
  private lastCheckAt = 0;
  private writableAt: number | null = null;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly minInsyncReplicas: () => number,
  ) {}

  /** Starts a check unless one ran recently or is running. */
  refresh(): void {
    if (this.stopped || this.running || Date.now() - this.lastCheckAt < PROBE_INTERVAL_MS) return;
    this.lastCheckAt = Date.now();
    this.running = this.check().finally(() => (this.running = null));
  }

  /** The topic looked writable at some check at or after `time`. */
  writableSince(time: number): boolean {
    return this.writableAt !== null && this.writableAt >= time;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.admin?.disconnect().catch(() => undefined);
  }

  private async check(): Promise<void> {
    try {
      this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
      await this.admin.connect();
      const metadata = await this.admin.fetchTopicMetadata({ topics: [this.topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      const minIsr = this.minInsyncReplicas();
      const writable = partitions.length > 0 && partitions.every((p) => p.leader >= 0 && p.isr.length >= minIsr);
      if (writable) this.writableAt = Date.now();
    } catch {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
    }
  }
}
