import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wrkPost } from '../bench/wrk';
import { cpuThrottling } from '../stack/cpu-quota';
import { runningRecord, StackState, up, UpOptions } from '../stack/stack';
import { StackConfig } from '../stack/stack-config';
import { CapacityRun, measureCapacity } from './capacity-measurement';
import { Objective } from './capacity-definition';
import { Definitions } from './definitions';
import { BaselineRun, ClosedRun, OpenRun, ReplicaRun } from './experiment-types';
import { BASELINE_REPLICA, startBaseline } from './baseline';
import { consumerProblem, integrityOf } from './integrity';
import { throwIfInterrupted } from './interruption';
import { CpuWindow } from './process-cpu';
import { ProbeTarget } from './step-probe';
import { GuardPlan, guardedStep, stepRunner } from './step-runner';
import { Driver, writeTargets } from './vegeta';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunContext {
  config: StackConfig;
  k8s: boolean;
  baseUrl: string;
  defs: Definitions;
  objective: Objective;
  guard: GuardPlan;
  rawDir: string;
  wrk: string;
  /** The load generator for a targets file (vegeta) or a subject prefix (k6). */
  driverFor: (targetsFile: string, subjectPrefix: string) => Driver;
  log: (line: string) => void;
}

/** Counts the 202s a driver got, so every accepted rating can be checked against the aggregate. */
export function countingAccepted(driver: Driver, counter: { accepted: number }): Driver {
  return async (...args) => {
    const run = await driver(...args);
    counter.accepted += run.stats.statusCodes['202'] ?? 0;
    return run;
  };
}

/**
 * stack:up, again when a service was still starting when its readiness wait ran out (a busy
 * machine can take minutes to start a JVM): up is idempotent and waits for what already runs.
 */
export async function upPatiently(config: StackConfig, options: UpOptions, attempts = 3): Promise<StackState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await up(config, options);
    } catch (error) {
      if (attempt >= attempts || !/not ready after/.test((error as Error).message)) throw error;
      options.log?.(`${(error as Error).message}; waiting again (${attempt + 1}/${attempts})`);
    }
  }
}

/** CPU per component with nothing offered, % of one core. */
export async function idleCpu(roots: Map<string, number>, seconds: number): Promise<Record<string, number>> {
  const window = new CpuWindow(roots);
  await sleep(seconds * 1000);
  return window.finish();
}

export function stackRoots(config: StackConfig, replicas: number): Map<string, number> {
  const names = ['nginx', ...Array.from({ length: replicas }, (_, i) => `api-${i + 1}`), 'kafka', 'redis', 'consumer'];
  const roots = new Map<string, number>();
  for (const name of names) {
    const record = runningRecord(config, name);
    if (record) roots.set(name, record.pid);
  }
  return roots;
}

/** The stack's processes and API replicas (quota counters, /metrics) as a step probe watches them. */
function probeTarget(ctx: RunContext, replicas: number): ProbeTarget {
  if (ctx.k8s) return { roots: new Map(), replicas: [] };
  return {
    roots: stackRoots(ctx.config, replicas),
    replicas: Array.from({ length: replicas }, (_, i) => ({
      name: `api-${i + 1}`,
      throttling: () => cpuThrottling(ctx.config.id, `api-${i + 1}`),
      metricsUrl: `http://127.0.0.1:${ctx.config.apiBasePort + i}/metrics`,
    })),
  };
}

/** What nginx appended to its access log since `offset`. */
export function appendedSince(logFile: string, offset: number): string {
  const size = statSync(logFile).size;
  const fd = openSync(logFile, 'r');
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  return buffer.toString();
}

/** Requests per upstream port in what nginx appended to its access log since `offset`. */
function upstreamCounts(logFile: string, offset: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of appendedSince(logFile, offset).matchAll(/upstream=127\.0\.0\.1:(\d+) /g))
    counts[match[1]] = (counts[match[1]] ?? 0) + 1;
  return counts;
}

export async function countOf(baseUrl: string, subject: string): Promise<number> {
  const response = await fetch(`${baseUrl}/rate?subject=${subject}`);
  if (response.status !== 200) return -1;
  return ((await response.json()) as { count: number }).count;
}

/**
 * Waits until the consumer has caught up — the subjects' total reached `expected` and held for a
 * second, or stopped moving for `idleMs`, or 2 minutes passed — and gives each subject's count.
 */
export async function drainedCounts(baseUrl: string, subjects: string[], expected: number, idleMs: number): Promise<number[]> {
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const counts: number[] = [];
    // In batches: a paired run audits hundreds of subjects.
    for (let i = 0; i < subjects.length; i += 32)
      counts.push(...(await Promise.all(subjects.slice(i, i + 32).map(async (s) => Math.max(0, await countOf(baseUrl, s))))));
    const total = counts.reduce((a, b) => a + b, 0);
    if (total !== last) {
      last = total;
      stableSince = Date.now();
    }
    if ((total >= expected && Date.now() - stableSince > 1000) || Date.now() - stableSince > idleMs || Date.now() > deadline) return counts;
    await sleep(250);
  }
}

const drainedTotal = async (baseUrl: string, subjects: string[], expected: number) =>
  (await drainedCounts(baseUrl, subjects, expected, 5000)).reduce((a, b) => a + b, 0);

/** Freshness: POST a rating on a fresh subject and time until GET shows it. */
export async function freshnessProbe(
  baseUrl: string,
  prefix: string,
  until: () => boolean,
  samples: number[],
  subjects: string[],
): Promise<void> {
  for (let i = 0; !until(); i++) {
    const subject = `${prefix}-${i}`;
    const response = await fetch(`${baseUrl}/rate?rate=1&subject=${subject}`, { method: 'POST' }).catch(() => null);
    if (response?.status === 202) {
      subjects.push(subject);
      const accepted = Date.now();
      while (Date.now() - accepted < 5000) {
        if ((await countOf(baseUrl, subject)) >= 1) {
          samples.push(Date.now() - accepted);
          break;
        }
        await sleep(5);
      }
    }
    await sleep(250);
  }
}

async function closedModel(ctx: RunContext, label: string, prefix: string): Promise<ClosedRun[]> {
  const { defs } = ctx;
  const closed: ClosedRun[] = [];
  for (let i = 1; i <= defs.closed.repeats && !ctx.k8s; i++) {
    throwIfInterrupted();
    const result = await wrkPost(
      ctx.wrk,
      ctx.rawDir,
      `${ctx.baseUrl}/rate?rate=5&subject=${prefix}-closed`,
      defs.closed.duration_s,
      defs.closed.vus,
      defs.closed.vus,
    );
    writeFileSync(join(ctx.rawDir, `${label}-closed-${i}.wrk.txt`), result.output);
    closed.push({ rps: result.rps, p50Ms: result.p50Ms, meanMs: result.meanMs, p99Ms: result.p99Ms, connections: defs.closed.vus });
    ctx.log(
      `closed model (wrk -c${defs.closed.vus} -t${defs.closed.vus}) ${i}/${defs.closed.repeats}: ${result.rps.toFixed(0)} rps, p50 ${result.p50Ms} ms`,
    );
  }
  return closed;
}

/** Requests per upstream port (nginx's access log) as each replica's share of the total. */
function sharesByReplica(counts: Record<string, number>, apiBasePort: number): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(counts).map(([port, n]) => [`api-${Number(port) - apiBasePort + 1}`, Math.round((1000 * n) / total) / 1000]),
  );
}

/**
 * One replica count, on a running stack: idle CPU, the closed model (the original exercise), the
 * capacity sweeps, the open model at the equal offered load with freshness probes, then drain and
 * the integrity check (every accepted rating aggregated exactly once).
 */
export async function measureReplicaCount(
  ctx: RunContext,
  replicas: number,
  prefix: string,
  openRateFor: (capacity: CapacityRun) => number,
): Promise<ReplicaRun> {
  const { defs, config, baseUrl } = ctx;
  const label = `r${replicas}`;
  const target = probeTarget(ctx, replicas);
  const capSubjects = Array.from({ length: defs.subjects }, (_, i) => `${prefix}-cap-${i}`);
  const capTargets = join(ctx.rawDir, `targets-${label}-cap.http`);
  writeTargets(capTargets, baseUrl, capSubjects);
  const openSubjects = Array.from({ length: defs.subjects }, (_, i) => `${prefix}-open-${i}`);
  const openTargets = join(ctx.rawDir, `targets-${label}-open.http`);
  writeTargets(openTargets, baseUrl, openSubjects);
  const capTraffic = { accepted: 0 };
  const capDriver = countingAccepted(ctx.driverFor(capTargets, `${prefix}-cap`), capTraffic);

  ctx.log('warm-up');
  await capDriver(100, defs.warmup_s, 1, join(ctx.rawDir, `${label}-warmup`), () => undefined);
  await sleep(2000);
  const idleCpuPct = ctx.k8s ? {} : await idleCpu(target.roots, defs.idle_s);
  ctx.log(
    `idle CPU (% of a core): ${
      Object.entries(idleCpuPct)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'not measured'
    }`,
  );

  const closed = await closedModel(ctx, label, prefix);

  const runner = stepRunner(capDriver, target, defs.capacity.windows, ctx.objective);
  const unguarded = async (rate: number, seconds: number, raw: string) => ({
    ...(await runner(rate, seconds, raw)),
    attempts: 1,
    contended: null,
  });
  const guarded = guardedStep(runner, ctx.guard, ctx.log);
  const capacity = await measureCapacity(defs, unguarded, guarded, join(ctx.rawDir, label), ctx.log);

  const openRate = openRateFor(capacity);
  const openRunner = stepRunner(ctx.driverFor(openTargets, `${prefix}-open`), target, 1, ctx.objective);
  const accessLog = join(config.runDir, 'nginx', 'access.log');
  const open: OpenRun[] = [];
  const freshness: number[] = [];
  const freshSubjects: string[] = [];
  let openAccepted = 0;
  const shareCounts: Record<string, number> = {};
  for (let i = 1; i <= defs.open.repeats; i++) {
    const offset = !ctx.k8s && existsSync(accessLog) ? statSync(accessLog).size : 0;
    let running = true;
    const probe = freshnessProbe(baseUrl, `${prefix}-fresh${i}`, () => !running, freshness, freshSubjects);
    const step = await openRunner(openRate, defs.open.duration_s, join(ctx.rawDir, `${label}-open-${i}`));
    running = false;
    await probe;
    await sleep(1500); // nginx flushes its access log buffer every second
    if (!ctx.k8s)
      for (const [port, n] of Object.entries(upstreamCounts(accessLog, offset))) shareCounts[port] = (shareCounts[port] ?? 0) + n;
    openAccepted += step.accepted;
    open.push({
      offered: openRate,
      sentRate: step.sentRate,
      p50Ms: step.p50Ms,
      p90Ms: step.p90Ms,
      p99Ms: step.p99Ms,
      errorRate: step.errorRate,
      generatorCpuPct: step.contention.generatorCpuPct,
      cpuPct: step.cpuPct,
      contention: step.contention,
    });
    ctx.log(
      `open ${openRate} rps ${i}/${defs.open.repeats}: p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, errors ${(step.errorRate * 100).toFixed(2)} %, generator CPU ${step.contention.generatorCpuPct} %, outside ${step.contention.outsideCpuPct} %`,
    );
  }
  const replicaShare = sharesByReplica(shareCounts, config.apiBasePort);

  ctx.log('draining and checking integrity');
  const expected = openAccepted + freshSubjects.length;
  const aggregated = await drainedTotal(baseUrl, [...openSubjects, ...freshSubjects], expected);
  const capAggregated = await drainedTotal(baseUrl, capSubjects, capTraffic.accepted);
  const integrity = integrityOf(
    expected,
    aggregated,
    aggregated < expected && !ctx.k8s ? await consumerProblem(`http://127.0.0.1:${config.consumerPort}/health/ready`) : null,
  );
  const waiting =
    integrity.waiting > 0
      ? `; ${integrity.waiting} not aggregated while the consumer reported not ready (${integrity.waitingReason}): NOT CHECKED`
      : '';
  ctx.log(`integrity: ${expected} accepted, ${aggregated} aggregated${waiting}`);
  return {
    replicas,
    idleCpuPct,
    closed,
    capacity,
    open,
    replicaShare,
    freshnessMs: freshness,
    integrity,
    capacityTraffic: { accepted: capTraffic.accepted, aggregated: capAggregated },
  };
}

/**
 * The bare-Fastify baseline through the same capacity search, in the same run, while the app's
 * stack idles beside it (its processes count as known, not as outside load).
 */
export async function measureBaseline(ctx: RunContext, cpuMillis: number, appReplicas: number): Promise<BaselineRun> {
  const baseline = await startBaseline(ctx.config, cpuMillis, ctx.log);
  try {
    const targets = join(ctx.rawDir, 'targets-baseline.http');
    writeTargets(
      targets,
      baseline.url,
      Array.from({ length: ctx.defs.subjects }, (_, i) => `baseline-${i}`),
    );
    const driver = ctx.driverFor(targets, 'baseline');
    const roots = new Map([
      ...stackRoots(ctx.config, appReplicas),
      ['baseline-nginx', baseline.roots.get('nginx')!],
      [BASELINE_REPLICA, baseline.roots.get(BASELINE_REPLICA)!],
    ]);
    const target: ProbeTarget = {
      roots,
      replicas: [{ name: BASELINE_REPLICA, throttling: () => cpuThrottling(ctx.config.id, BASELINE_REPLICA), metricsUrl: null }],
    };
    ctx.log('warm-up');
    await driver(100, ctx.defs.warmup_s, 1, join(ctx.rawDir, 'baseline-warmup'), () => undefined);
    await sleep(2000);
    const idleCpuPct = await idleCpu(new Map([...baseline.roots]), ctx.defs.idle_s);
    const runner = stepRunner(driver, target, ctx.defs.capacity.windows, ctx.objective);
    const unguarded = async (rate: number, seconds: number, raw: string) => ({
      ...(await runner(rate, seconds, raw)),
      attempts: 1,
      contended: null,
    });
    const capacity = await measureCapacity(
      ctx.defs,
      unguarded,
      guardedStep(runner, ctx.guard, ctx.log),
      join(ctx.rawDir, 'baseline'),
      ctx.log,
    );
    return { idleCpuPct, capacity, cgroups: baseline.cgroups };
  } finally {
    await baseline.stop();
  }
}
