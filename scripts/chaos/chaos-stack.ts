import { Admin, Kafka, logLevel } from 'kafkajs';
import { offsetKey } from '../../libs/redis/src/aggregate-keys';
import { apiCpuLimitMillis } from '../stack/chart-values';
import { isRunning, ProcessRecord } from '../stack/process-control';
import { httpStatus } from '../stack/readiness';
import { brokerList, brokerName, consumerName, ServiceSpec, StackShape, topicDurability } from '../stack/services';
import { down, ensureApi, ensureService, runningRecord, serviceSpecs, setUpstreams, StackState, stopService, up } from '../stack/stack';
import { withStackRedis } from '../stack/redis-conf';
import { StackConfig } from '../stack/stack-config';
import { setTimeout as sleep } from 'node:timers/promises';

export const TOPIC = 'rates';
export const PARTITIONS = 6;

/**
 * The chaos run's handle on its stack: faults signal its processes, a supervisor plays
 * Kubernetes (restarts what died or fails its liveness probe) except for what a fault holds down.
 */
export class ChaosStack {
  private readonly held = new Set<string>();
  private readonly busy = new Set<string>();
  private supervisor: NodeJS.Timeout | null = null;
  private supervising: Promise<void> = Promise.resolve();
  /** what the supervisor did, drained by the runner into the current fault's notes */
  readonly events: string[] = [];

  constructor(
    readonly config: StackConfig,
    public shape: StackShape,
    private readonly appEnv: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.config.nginxPort}`;
  }

  async start(): Promise<StackState> {
    await down(this.config, true, this.log);
    return up(this.config, { ...this.shape, appEnv: this.appEnv, log: this.log });
  }

  async stop(purge = false): Promise<void> {
    this.stopSupervising();
    await this.supervising;
    await down(this.config, purge, this.log);
  }

  /** Scales the stack (e.g. the consumer group) the way stack:up does. */
  async scale(shape: Partial<StackShape>): Promise<void> {
    this.shape = { ...this.shape, ...shape };
    await this.exclusive(['*'], () => up(this.config, { ...this.shape, appEnv: this.appEnv, log: this.log }));
  }

  specs(): ServiceSpec[] {
    const s = serviceSpecs(this.config, this.shape, this.appEnv);
    return [...s.brokers, ...s.redis, ...s.consumers, ...s.apis, s.nginx];
  }

  spec(name: string): ServiceSpec {
    const found = this.specs().find((s) => s.name === name);
    if (!found) throw new Error(`no service ${name} in this stack`);
    return found;
  }

  record(name: string): ProcessRecord {
    const record = runningRecord(this.config, name);
    if (!record) throw new Error(`${name} is not running`);
    return record;
  }

  /** Keeps the supervisor's hands off while a fault has the service down. */
  hold(name: string): void {
    this.held.add(name);
  }

  release(name: string): void {
    this.held.delete(name);
  }

  signal(name: string, signal: NodeJS.Signals): void {
    process.kill(this.record(name).pid, signal);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(name: string): Promise<void> {
    const record = this.record(name);
    process.kill(record.pid, 'SIGKILL');
    while (isRunning(record)) await sleep(20);
  }

  /** SIGTERM, wait for it to exit by itself (SIGKILL after the timeout). */
  async terminate(name: string, timeoutMs = 30_000): Promise<string> {
    return stopService(this.config, name, timeoutMs);
  }

  /** Starts (or heals) one service and waits until it is ready. */
  async ensure(name: string): Promise<void> {
    await this.exclusive([name], () => this.ensureUnlocked(name));
  }

  private async ensureUnlocked(name: string): Promise<void> {
    const spec = this.spec(name);
    if (name.startsWith('api-')) await ensureApi(this.config, spec, apiCpuLimitMillis(this.config.valuesFile), this.log);
    else await ensureService(this.config, spec, this.log);
  }

  /** nginx routes to these API replicas only (a rollout's endpoint update). */
  routeTo(apiNames: string[]): void {
    const ports = apiNames.map((n) => this.spec(n).port);
    setUpstreams(this.config, ports, this.log);
  }

  apiNames(): string[] {
    return Array.from({ length: this.shape.replicas }, (_, i) => `api-${i + 1}`);
  }

  consumerNames(): string[] {
    return Array.from({ length: this.shape.consumers }, (_, i) => consumerName(i + 1));
  }

  brokerNames(): string[] {
    return Array.from({ length: this.shape.brokers }, (_, i) => brokerName(i + 1));
  }

  /** Restarts each of these services (SIGTERM, then start): what an operator does with a stuck one. */
  async restart(names: string[]): Promise<void> {
    for (const name of names) {
      await this.exclusive([name], async () => {
        await this.terminate(name);
        await this.ensureUnlocked(name);
      });
    }
  }

  /**
   * Every second: start what is not running and restart what answers its liveness probe with
   * anything but 200, like the kubelet; a held or busy service is left alone.
   */
  supervise(): void {
    this.supervisor = setInterval(() => {
      this.supervising = this.superviseOnce().catch((error: Error) => void this.events.push(`supervisor: ${error.message}`));
    }, 1000);
  }

  stopSupervising(): void {
    if (this.supervisor) clearInterval(this.supervisor);
    this.supervisor = null;
  }

  private async superviseOnce(): Promise<void> {
    await Promise.all(
      this.specs().map(async (spec) => {
        if (this.held.has(spec.name) || this.busy.has(spec.name) || this.busy.has('*')) return;
        const record = runningRecord(this.config, spec.name);
        let reason: string | null = null;
        if (!record) reason = 'not running';
        else if (spec.liveUrl) {
          const live = await httpStatus(spec.liveUrl, 2000);
          if (live !== null && live !== 200) reason = `/health/live answered ${live}`;
        }
        if (reason === null || this.held.has(spec.name) || this.busy.has(spec.name)) return;
        this.events.push(`supervisor restarted ${spec.name} (${reason})`);
        await this.exclusive([spec.name], () => this.ensureUnlocked(spec.name)).catch((error: Error) => {
          this.events.push(`supervisor could not restart ${spec.name}: ${error.message}`);
        });
      }),
    );
  }

  private async exclusive<T>(names: string[], action: () => Promise<T>): Promise<T> {
    while (names.some((n) => this.busy.has(n)) || (names.includes('*') && this.busy.size > 0)) await sleep(50);
    for (const n of names) this.busy.add(n);
    try {
      return await action();
    } finally {
      for (const n of names) this.busy.delete(n);
    }
  }

  kafka(): Kafka {
    return new Kafka({
      clientId: 'rate-chaos',
      brokers: brokerList(this.config, this.shape.brokers).split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 5 },
      connectionTimeout: 10_000,
      requestTimeout: 60_000,
    });
  }

  async withAdmin<T>(action: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      return await action(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** High watermark of each partition of the ratings topic. */
  async topicEnds(): Promise<Map<number, bigint>> {
    return this.withAdmin(async (admin) => new Map((await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, BigInt(o.high)])));
  }

  /** The partition that took the most records since `before`, and the broker leading it. */
  async busiestPartitionLeader(before: Map<number, bigint>): Promise<{ partition: number; broker: string; records: bigint }> {
    const after = await this.topicEnds();
    let partition = 0;
    let records = -1n;
    for (const [p, high] of after) {
      const delta = high - (before.get(p) ?? 0n);
      if (delta > records) [partition, records] = [p, delta];
    }
    const metadata = await this.withAdmin((admin) => admin.fetchTopicMetadata({ topics: [TOPIC] }));
    const leader = metadata.topics[0].partitions.find((p) => p.partitionId === partition)!.leader;
    return { partition, broker: brokerName(leader), records };
  }

  /** Waits until every partition of the topic has all its replicas in sync again. */
  async waitInSync(timeoutMs = 120_000): Promise<void> {
    const { replicationFactor } = topicDurability(this.shape.brokers);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const synced = await this.withAdmin(async (admin) => {
        const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC, '__consumer_offsets'] });
        return metadata.topics.every((t) => t.partitions.every((p) => p.isr.length >= replicationFactor));
      }).catch(() => false);
      if (synced) return;
      if (Date.now() > deadline) throw new Error(`replicas not in sync after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  }

  /** The last offset Redis applied of each partition (-1: none), as the consumer's batch script stores it. */
  async appliedOffsets(): Promise<Map<number, bigint>> {
    const values = await withStackRedis(this.config, (redis) => redis.mget(Array.from({ length: PARTITIONS }, (_, p) => offsetKey(p))));
    return new Map(values.map((v, p) => [p, v === null ? -1n : BigInt(v)]));
  }

  /**
   * Waits until Redis is seen holding every record of the topic (under load: a moment when the
   * consumer had caught up), or throws after the timeout. Returns when that check started: every
   * rating acknowledged before it was applied.
   */
  async waitApplied(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkedAt = Date.now();
      const [ends, applied] = await Promise.all([this.topicEnds(), this.appliedOffsets()]);
      const behind = [...ends].filter(([p, high]) => (applied.get(p) ?? -1n) < high - 1n);
      if (behind.length === 0) return checkedAt;
      if (Date.now() > deadline) {
        throw new Error(
          `the consumer did not apply the topic's end within ${timeoutMs / 1000} s (behind: ${behind.map(([p, high]) => `p${p} ${applied.get(p)}/${high - 1n}`).join(', ')})`,
        );
      }
      await sleep(50);
    }
  }

  /**
   * Deletes the ratings topic and creates it again (same partitions and durability) as soon as
   * Kafka lets it — unless an API replica, whose producer checks the topic when it reconnects,
   * recreated it first. Returns who created the new topic.
   */
  async recreateTopic(timeoutMs = 60_000): Promise<string> {
    const { replicationFactor, minInsyncReplicas } = topicDurability(this.shape.brokers);
    const oldEnds = await this.topicEnds();
    return this.withAdmin(async (admin) => {
      await admin.deleteTopics({ topics: [TOPIC], timeout: 30_000 });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let problem: string;
        try {
          const created = await admin.createTopics({
            waitForLeaders: true,
            topics: [
              {
                topic: TOPIC,
                numPartitions: PARTITIONS,
                replicationFactor: this.shape.brokers === 1 ? -1 : replicationFactor,
                configEntries: this.shape.brokers === 1 ? [] : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
              },
            ],
          });
          if (created) return 'the harness';
          // "Already exists": someone else's new topic, or (briefly) the old one still going.
          if (await this.isNewTopic(oldEnds)) return 'an API replica (it checks the topic when its producer reconnects)';
          problem = 'the old topic still exists';
        } catch (error) {
          problem = (error as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`topic ${TOPIC} not recreated within ${timeoutMs / 1000} s: ${problem}`);
        await sleep(250);
      }
    });
  }

  /** Whether the topic now is a new log: every partition led and shorter than the deleted one was. */
  private async isNewTopic(oldEnds: Map<number, bigint>): Promise<boolean> {
    try {
      const metadata = await this.withAdmin((admin) => admin.fetchTopicMetadata({ topics: [TOPIC] }));
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length !== PARTITIONS || partitions.some((p) => p.leader < 0)) return false;
      const ends = await this.topicEnds();
      return [...ends].every(([p, high]) => high < (oldEnds.get(p) ?? 0n) || (high === 0n && (oldEnds.get(p) ?? 0n) === 0n));
    } catch {
      return false;
    }
  }
}
