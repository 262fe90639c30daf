import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenLoad } from '../chaos/load-generator';
import { accepted } from '../chaos/audit';
import { kafkaRetention, parseRedisMemory, redisMaxmemory } from '../stack/chart-values';
import { redisUrl } from '../stack/redis-conf';
import { consumerName, consumerService, redisService } from '../stack/services';
import { down, ensureService, runningRecord, stopService, up } from '../stack/stack';
import { StackConfig } from '../stack/stack-config';
import { readSubject } from './read-subject';
import { kafkaLogBytes, partitionBytes, StackProbe } from './sampler';
import { SoakArgs } from './soak-args';
import { auditSubjects, catchUpBoundS, hoursToLimit, mb, round, Sample, schedule, slope, SubjectAudit, verdict } from './soak-stats';

export const SOAK_SHAPE = { replicas: 3, consumers: 2, brokers: 1 };
const SAMPLE_S = 10;
const SUBJECT_POOL = 1000;
/** The absence lasts until each partition holds this much unapplied log (more than one fetch), within schedule()'s bounds. */
const BACKLOG_BYTES_PER_PARTITION = 4 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 5 * 60_000;
/** The config change the rolling restart applies to the consumers. */
const ROLLED_ENV = { LOG_LEVEL: 'warn' };

export interface FaultEvent {
  name: string;
  atS: number;
  durationS: number;
  note: string;
}

export interface SoakResult {
  summary: Record<string, unknown> & { ok: boolean };
  samples: Sample[];
  faults: FaultEvent[];
  problems: string[];
}

class SoakRun {
  readonly samples: Sample[] = [];
  readonly faults: FaultEvent[] = [];
  private phase = 'steady';
  private startedAt = 0;
  private sampler: NodeJS.Timeout | null = null;
  private readonly probe: StackProbe;
  private readonly load: OpenLoad;
  private readonly plan: ReturnType<typeof schedule>;
  private catchUpS: number | null = null;
  private absenceS = 0;

  constructor(
    private readonly config: StackConfig,
    private readonly args: SoakArgs,
    private readonly log: (line: string) => void,
  ) {
    this.plan = schedule(args.minutes);
    this.probe = new StackProbe(redisUrl(config), config);
    this.load = new OpenLoad({
      baseUrl: `http://127.0.0.1:${config.nginxPort}`,
      rate: args.rate,
      prefix: `soak-${randomBytes(4).toString('hex')}`,
      subjectPool: SUBJECT_POOL,
      keyEvery: args.keyedShare > 0 ? Math.max(1, Math.round(1 / args.keyedShare)) : 0,
      maxAttempts: 3,
      timeoutMs: 10_000,
    });
  }

  private get elapsedS(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  private async until(atS: number): Promise<void> {
    const waitMs = (atS - this.elapsedS) * 1000;
    if (waitMs > 0) await sleep(waitMs);
  }

  async run(): Promise<SoakResult> {
    this.startedAt = Date.now();
    this.load.start();
    this.sampler = setInterval(() => void this.sample(), SAMPLE_S * 1000);
    await this.sample();
    try {
      await this.consumerAbsence();
      await this.redisRestart();
      await this.rollingChange();
      await this.until(this.plan.durationS);
    } finally {
      await this.load.stop();
    }
    this.phase = 'drain';
    const drained = await this.drain();
    if (this.sampler) clearInterval(this.sampler);
    await this.sample();
    const result = await this.evaluate(drained);
    await this.probe.close();
    return result;
  }

  /** Never throws: it runs on a timer, and one unreadable sample must not end the run. */
  private async sample(): Promise<void> {
    try {
      const [redis, lag] = await Promise.all([this.probe.redisInfo(), this.probe.lag()]);
      const sample: Sample = {
        t: Math.round(this.elapsedS),
        redisUsedBytes: redis?.usedBytes ?? null,
        kafkaLogBytes: kafkaLogBytes(this.config),
        lag,
        phase: this.phase,
      };
      this.samples.push(sample);
      if (this.samples.length % 6 === 1) this.progress(sample);
    } catch (error) {
      this.log(`sample at ${Math.round(this.elapsedS)} s failed: ${(error as Error).message}`);
    }
  }

  private progress(sample: Sample): void {
    const sent = this.load.records.length;
    const ok = this.load.records.filter(accepted).length;
    this.log(
      `${(sample.t / 60).toFixed(1)}/${this.args.minutes} min [${this.phase}]: ${sent} sent, ${ok} accepted; lag ${sample.lag ?? '?'}; ` +
        `Redis ${mb(sample.redisUsedBytes)}; Kafka log ${mb(sample.kafkaLogBytes)}`,
    );
  }

  /** Both consumers stopped until every partition holds a backlog larger than one fetch, then started again. */
  private async consumerAbsence(): Promise<void> {
    await this.until(this.plan.absenceAtS);
    this.phase = 'consumers absent';
    const before = partitionBytes(this.config);
    const stoppedAt = Date.now();
    for (let i = SOAK_SHAPE.consumers; i >= 1; i--) await stopService(this.config, consumerName(i));
    this.log(
      `consumers stopped: waiting for ${mb(BACKLOG_BYTES_PER_PARTITION)} of backlog in every partition (at least ${this.plan.minAbsenceS} s)`,
    );
    let grown: number;
    for (;;) {
      await sleep(2000);
      const now = partitionBytes(this.config);
      grown = Math.min(...[...now].map(([p, bytes]) => bytes - (before.get(p) ?? 0)));
      const elapsed = (Date.now() - stoppedAt) / 1000;
      if ((elapsed >= this.plan.minAbsenceS && grown >= BACKLOG_BYTES_PER_PARTITION) || elapsed >= this.plan.maxAbsenceS) break;
    }
    this.absenceS = (Date.now() - stoppedAt) / 1000;
    const backlog = await this.probe.lag();
    this.phase = 'catch-up';
    const restartedAt = Date.now();
    for (let i = 1; i <= SOAK_SHAPE.consumers; i++) await ensureService(this.config, consumerService(this.config, {}, i), this.log);
    // Waited for as long as its bound and more, even past the next fault's time (which then waits).
    this.catchUpS = await this.caughtUpAfter(restartedAt, this.elapsedS + catchUpBoundS(this.absenceS) + 30);
    this.faults.push({
      name: 'consumer absence',
      atS: round((stoppedAt - this.startedAt) / 1000),
      durationS: round(this.absenceS),
      note: `${backlog ?? '?'} records waiting, at least ${mb(grown)} per partition; caught up ${this.catchUpS ?? 'never'} s after the restart`,
    });
    this.phase = 'steady';
  }

  /** Seconds from `since` until the lag is at most one second of arrivals; null if not before `deadlineS`. */
  private async caughtUpAfter(since: number, deadlineS: number): Promise<number | null> {
    while (this.elapsedS < deadlineS) {
      const lag = await this.probe.lag();
      if (lag !== null && lag <= this.args.rate) return round((Date.now() - since) / 1000);
      await sleep(500);
    }
    return null;
  }

  /** SIGKILL (AOF everysec: up to a second of writes lost, refilled from Kafka), then started again. */
  private async redisRestart(): Promise<void> {
    await this.until(this.plan.redisRestartAtS);
    this.phase = 'Redis restart';
    const record = runningRecord(this.config, 'redis');
    if (!record) throw new Error('Redis is not running: cannot restart it');
    const killedAt = Date.now();
    process.kill(record.pid, 'SIGKILL');
    await sleep(1000);
    await ensureService(this.config, redisService(this.config), this.log);
    const recovered = await this.caughtUpAfter(killedAt, this.plan.rollingAtS);
    this.faults.push({
      name: 'Redis SIGKILL + restart',
      atS: round((killedAt - this.startedAt) / 1000),
      durationS: recovered ?? 0,
      note: `lag back under one second of arrivals after ${recovered ?? 'never'} s`,
    });
    this.phase = 'steady';
  }

  /** One consumer after the other restarted with a changed setting, as a Deployment rollout does. */
  private async rollingChange(): Promise<void> {
    await this.until(this.plan.rollingAtS);
    this.phase = 'rolling change';
    const at = Date.now();
    for (let i = 1; i <= SOAK_SHAPE.consumers; i++) {
      await stopService(this.config, consumerName(i));
      await ensureService(this.config, consumerService(this.config, ROLLED_ENV, i), this.log);
    }
    this.faults.push({
      name: 'rolling config change of the consumers',
      atS: round((at - this.startedAt) / 1000),
      durationS: round((Date.now() - at) / 1000),
      note: `LOG_LEVEL=${ROLLED_ENV.LOG_LEVEL}, one consumer at a time`,
    });
    this.phase = 'steady';
  }

  private async drain(): Promise<boolean> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if ((await this.probe.lag()) === 0) return true;
      await sleep(1000);
    }
    return false;
  }

  private async evaluate(drained: boolean): Promise<SoakResult> {
    const { audits, notAudited } = await this.audit();
    const { lost, duplicated, sumMismatches } = auditSubjects(audits.values());
    const redisLimit = parseRedisMemory(redisMaxmemory(this.config.valuesFile));
    const retention = kafkaRetention(this.config.valuesFile);
    const redisPerHour = this.perHour((s) => s.redisUsedBytes, this.plan.redisRestartAtS + 60);
    const kafkaPerHour = this.perHour((s) => s.kafkaLogBytes, 0);
    const last = this.samples[this.samples.length - 1];
    const lastRedis = [...this.samples].reverse().find((s) => s.redisUsedBytes !== null)?.redisUsedBytes ?? 0;
    // Retention caps the log below the volume: it stops growing there, whatever the slope.
    const logCeiling = retention.partitions * (retention.retentionBytes + retention.segmentBytes);
    const hoursToDisk = logCeiling < retention.volumeBytes ? null : hoursToLimit(last.kafkaLogBytes, retention.volumeBytes, kafkaPerHour);
    const hoursToRedis = hoursToLimit(lastRedis, redisLimit, redisPerHour);
    const bound = catchUpBoundS(this.absenceS);
    const judged = verdict({
      lost,
      duplicated,
      catchUpS: this.catchUpS,
      catchUpBoundS: bound,
      hoursToRedisLimit: hoursToRedis,
      hoursToDiskLimit: hoursToDisk,
      notAudited,
    });
    const problems = [...judged.problems];
    if (sumMismatches > 0) problems.push(`${sumMismatches} subjects with the right count but another sum`);
    if (!drained) problems.push(`the consumers did not drain the backlog within ${DRAIN_TIMEOUT_MS / 60_000} min after the load stopped`);
    const records = this.load.records;
    const summary = {
      minutes: this.args.minutes,
      rate: this.args.rate,
      keyed_share: this.args.keyedShare,
      requests: records.length,
      accepted: records.filter(accepted).length,
      dropped_by_generator: this.load.dropped,
      lost,
      duplicated,
      sum_mismatches: sumMismatches,
      catch_up_s: this.catchUpS,
      catch_up_bound_s: round(bound),
      absence_s: round(this.absenceS),
      redis_bytes_per_hour: redisPerHour === null ? null : Math.round(redisPerHour),
      kafka_bytes_per_hour: kafkaPerHour === null ? null : Math.round(kafkaPerHour),
      redis_limit_bytes: redisLimit,
      kafka_log_ceiling_bytes: logCeiling,
      kafka_volume_bytes: retention.volumeBytes,
      kafka_history_hours: kafkaPerHour ? round(logCeiling / kafkaPerHour) : null,
      hours_to_redis_limit: hoursToRedis === null ? null : round(hoursToRedis),
      hours_to_disk_limit: hoursToDisk === null ? null : round(hoursToDisk),
      ok: problems.length === 0,
    };
    return { summary, samples: this.samples, faults: this.faults, problems };
  }

  /** Growth per hour of one sampled figure, by least squares over the samples from `fromS` on (the load running). */
  private perHour(value: (s: Sample) => number | null, fromS: number): number | null {
    const points = this.samples
      .filter((s) => s.t >= fromS && s.phase !== 'drain' && value(s) !== null)
      .map((s) => ({ x: s.t / 3600, y: value(s)! }));
    return slope(points);
  }

  /** Every subject read back through the balancer, against what its requests were told. */
  private async audit(): Promise<{ audits: Map<string, SubjectAudit>; notAudited: number }> {
    const audits = new Map<string, SubjectAudit>();
    for (const record of this.load.records) {
      const a = audits.get(record.subject) ?? { acceptedCount: 0, acceptedSum: 0, unsure: 0, count: 0, sum: 0 };
      if (accepted(record)) {
        a.acceptedCount++;
        a.acceptedSum += record.rate;
      } else if (record.attempts.some((t) => t.status === 503 || t.status === 0)) a.unsure++;
      audits.set(record.subject, a);
    }
    this.log(`auditing ${audits.size} subjects through GET /rate`);
    let notAudited = 0;
    const subjects = [...audits.keys()];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let s = subjects.pop(); s !== undefined; s = subjects.pop()) {
          const read = await readSubject(`http://127.0.0.1:${this.config.nginxPort}`, s);
          if (read === null) notAudited++;
          else Object.assign(audits.get(s)!, read);
        }
      }),
    );
    return { audits, notAudited };
  }
}

/** Starts the soak's own stack, runs the soak, stops the stack (its data deleted: a soak fills disks on purpose). */
export async function runSoak(config: StackConfig, args: SoakArgs, log: (line: string) => void): Promise<SoakResult> {
  log(`starting a stack of ${SOAK_SHAPE.replicas} API replicas, ${SOAK_SHAPE.consumers} consumers, 1 broker in ${config.runDir}`);
  await down(config, true);
  await up(config, { ...SOAK_SHAPE, log });
  try {
    return await new SoakRun(config, args, log).run();
  } finally {
    await down(config, true, log);
  }
}
