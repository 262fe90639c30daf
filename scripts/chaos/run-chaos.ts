import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackConfig } from '../stack/stack-config';
import { apiShutdownDrainMs } from '../stack/chart-values';
import { StackShape } from '../stack/services';
import { StackState } from '../stack/stack';
import { readCount, readCounts } from './aggregate-reader';
import { accepted, apiRecoverySeconds, classify, DestroyWindow, excuseDestroyed, failuresByStatus, faultRow, warmupProblem } from './audit';
import { CatchUpTracker } from './catch-up';
import { ChaosStack, PARTITIONS } from './chaos-stack';
import { FaultDetail, RequestRecord } from './chaos-types';
import { Fault, FaultContext, StackKind } from './faults';
import { OpenLoad, postRating } from './load-generator';
import { Profile } from './profiles';
import { RunInfo } from './report';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChaosOptions {
  profile: Profile;
  faults: Fault[];
  /** run dir and ports of the chaos stacks (RATE_RUN_DIR, RATE_*_PORT as the stack reads them) */
  stackEnv: Record<string, string>;
  /** extra env for the apps */
  appEnv?: NodeJS.ProcessEnv;
  command: string;
  log: (line: string) => void;
  /** keep the last stack's data and logs (for a look afterwards) */
  keepData?: boolean;
}

export interface ChaosResult {
  details: FaultDetail[];
  info: RunInfo;
}

const SHAPES: Record<StackKind, StackShape> = {
  single: { replicas: 3, brokers: 1, consumers: 2 },
  cluster: { replicas: 3, brokers: 3, consumers: 2 },
};

/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Runs each fault under open load on its stack (1 broker or 3), audits every request, and
 * returns a row per fault. Each stack kind is started once, clean, and reused across its faults.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { profile, log } = options;
  const runId = randomBytes(3).toString('hex');
  const started = Date.now();
  const cpuStart = process.cpuUsage();
  const machineStart = machineJiffies();
  const details: FaultDetail[] = [];
  const stacks: string[] = [];
  let cgroups = 'not measured';

  for (const kind of ['single', 'cluster'] as StackKind[]) {
    const faults = options.faults.filter((f) => f.stack === kind);
    if (faults.length === 0) continue;
    const config = stackConfig({ ...process.env, ...options.stackEnv, RATE_RUN_DIR: join(options.stackEnv.RATE_RUN_DIR, kind) });
    const shape = SHAPES[kind];
    // The API drains on SIGTERM as the chart deploys it: the rolling update is Kubernetes' rollout.
    const appEnv = { SHUTDOWN_DRAIN_MS: String(apiShutdownDrainMs(config.valuesFile)), ...options.appEnv };
    const stack = new ChaosStack(config, shape, appEnv, (line) => log(`  [stack] ${line}`));
    log(
      `starting the ${kind === 'single' ? '1-broker' : '3-broker'} stack (${shape.replicas} API replicas, ${shape.brokers} broker(s), ${shape.consumers} consumers) in ${config.runDir}`,
    );
    const launch = await startStack(stack, log);
    if ('error' in launch) {
      // Its faults are rows that say why they did not run; the other stack's faults still run.
      for (const fault of faults) details.push(notRun(fault, `not run: the ${kind} stack did not start (${launch.error})`));
      stacks.push(`${kind}: did not start (${launch.error})`);
      continue;
    }
    const { state } = launch;
    cgroups = state.cgroups ? `${state.cpuLimitMillis}m per API replica (cgroup quota)` : `none (${state.cgroupProblem})`;
    stacks.push(
      `${kind}: ${shape.replicas} API replicas, ${shape.brokers} broker(s), ${shape.consumers} consumers, nginx :${config.nginxPort}${launch.retried ? ` (started at the second attempt; the first: ${launch.retried})` : ''}`,
    );
    stack.supervise();
    const stackDetails: {
      fault: Fault;
      detail: FaultDetail;
      records: RequestRecord[];
      missing: Set<string>;
      window: DestroyWindow | null;
    }[] = [];
    try {
      let broken: string | null = null;
      for (const fault of faults) {
        const index = options.faults.indexOf(fault) + 1;
        log(`[${index}/${options.faults.length}] ${fault.name}`);
        if (broken !== null) {
          log(`[${index}/${options.faults.length}] ${fault.name}: not run (${broken})`);
          details.push(notRun(fault, `not run: an earlier fault left the stack broken (${broken})`));
          continue;
        }
        const phase = await runPhase(stack, fault, profile, `chaos-${runId}-${fault.slug}`, log).catch((error: Error) => error);
        if (phase instanceof Error) {
          broken = phase.message;
          log(`[${index}/${options.faults.length}] ${fault.name}: not run (${broken})`);
          details.push(notRun(fault, broken));
          continue;
        }
        details.push(phase.detail);
        stackDetails.push({ fault, ...phase });
        const { row } = phase.detail;
        log(
          `[${index}/${options.faults.length}] ${fault.name}: ${row.requests} requests, ${row.accepted} accepted, ${row.failed} failed, ${row.lost} lost, ${row.duplicated} duplicated, ${row.written_despite_error} written despite error; API recovery ${row.api_recovery_s ?? 'never'} s, catch-up ${row.consumer_catch_up_s ?? 'never'} s (${phase.detail.durationS.toFixed(0)} s)`,
        );
      }
      // A rating may be counted twice long after its phase (a later fault replays it): audit all again.
      log(`final audit of the ${kind} stack's ${stackDetails.reduce((n, p) => n + p.records.length, 0)} requests`);
      for (const phase of stackDetails) {
        const counts = await readCounts(
          stack.baseUrl,
          phase.records.map((r) => r.subject),
        );
        const { classified: final } = excuseDestroyed(
          classify(phase.records, { counts, missingAtDeadline: phase.missing }),
          phase.records,
          phase.window,
        );
        const before = phase.detail.row;
        const after = faultRow(before.name, final, before.api_recovery_s, before.consumer_catch_up_s);
        if (
          after.duplicated !== before.duplicated ||
          after.lost !== before.lost ||
          after.written_despite_error !== before.written_despite_error
        ) {
          phase.detail.notes.push(
            `changed after later faults: lost ${before.lost} → ${after.lost}, duplicated ${before.duplicated} → ${after.duplicated}, written despite error ${before.written_despite_error} → ${after.written_despite_error}`,
          );
        }
        phase.detail.row = after;
        phase.detail.examples = {
          lost: final.lost.slice(0, 5),
          duplicated: final.duplicated.slice(0, 5),
          writtenDespiteError: final.writtenDespiteError.slice(0, 5),
        };
      }
    } finally {
      await stack.stop(!(options.keepData ?? true));
    }
  }

  const machineEnd = machineJiffies();
  const cpu = process.cpuUsage(cpuStart);
  const durationS = (Date.now() - started) / 1000;
  const info: RunInfo = {
    profile: profile.name,
    command: options.command,
    startedAt: new Date(started).toISOString(),
    durationS,
    cores: cpus().length,
    machineBusyPct: (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total),
    harnessCpuPct: (100 * (cpu.user + cpu.system)) / 1e6 / durationS,
    loadAverage: loadavg(),
    cgroups,
    stacks,
    rate: profile.rate,
  };
  return { details, info };
}

/**
 * Starts a clean stack; a start that fails (a JVM that did not come up on a loaded machine) is
 * stopped — nothing of it is left running — and tried once more.
 */
async function startStack(
  stack: ChaosStack,
  log: (line: string) => void,
): Promise<{ state: StackState; retried: string | null } | { error: string }> {
  let retried: string | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      return { state: await stack.start(), retried };
    } catch (error) {
      const message = (error as Error).message;
      log(`  the stack did not start: ${message}`);
      await stack.stop(false).catch((stopError: Error) => log(`  stopping it failed too: ${stopError.message}`));
      if (attempt === 2) return { error: message };
      retried = message;
      log('  starting it again');
    }
  }
}

function notRun(fault: Fault, reason: string): FaultDetail {
  return {
    row: faultRow(fault.name, { requests: 0, accepted: 0, failed: 0, lost: [], duplicated: [], writtenDespiteError: [] }, null, null),
    zeroFailures: fault.zeroFailures ?? false,
    durationS: 0,
    notes: [],
    examples: { lost: [], duplicated: [], writtenDespiteError: [] },
    failures: {},
    error: reason,
  };
}

/** Posts a probe rating (not audited) until one is accepted and counted, or the time is up. */
async function probeAccepted(stack: ChaosStack, prefix: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; Date.now() < deadline; n++) {
    const subject = `${prefix}-probe-${n}`;
    if ((await postRating(stack.baseUrl, subject, 1, undefined, 10_000)).status === 202) {
      while (Date.now() < deadline) {
        if ((await readCount(stack.baseUrl, subject)) === 1) return true;
        await sleep(250);
      }
    }
    await sleep(1000);
  }
  return false;
}

/**
 * Every fault starts from a stack that accepts ratings and aggregates them. One a previous fault
 * left broken is restarted (API replicas and consumers), as an operator would, and the fault's
 * notes say so.
 */
async function steadyState(stack: ChaosStack, prefix: string, notes: string[], log: (line: string) => void): Promise<void> {
  if (await probeAccepted(stack, prefix, 120_000)) return;
  log('  the stack does not accept and aggregate ratings: restarting the API replicas and consumers (as an operator would)');
  notes.push(
    'before this fault the stack did not accept and aggregate a rating within 120 s: the harness restarted the API replicas and consumers',
  );
  await stack.restart([...stack.apiNames(), ...stack.consumerNames()]);
  if (!(await probeAccepted(stack, prefix, 180_000)))
    throw new Error('the stack does not accept and aggregate ratings even after restarting the API replicas and consumers');
}

async function runPhase(stack: ChaosStack, fault: Fault, profile: Profile, prefix: string, log: (line: string) => void) {
  const notes: string[] = [];
  let faultStart = 0;
  let window: DestroyWindow | null = null;
  const ctx: FaultContext = {
    stack,
    profile,
    note: (line) => notes.push(line),
    log,
    started: () => (faultStart = Date.now()),
    destroyWindow: (w) => (window = w),
  };
  stack.events.length = 0;
  await fault.prepare?.(ctx);
  await steadyState(stack, prefix, notes, log);
  const phaseStart = Date.now();
  const tracker = new CatchUpTracker(PARTITIONS, async (subject) => {
    const count = await readCount(stack.baseUrl, subject, 2000);
    return count === null ? null : count > 0;
  });
  const load = new OpenLoad({
    baseUrl: stack.baseUrl,
    rate: profile.rate,
    prefix,
    keyEvery: fault.retryingClient ? 1 : profile.keyEvery,
    maxAttempts: fault.retryingClient ? 10 : 1,
    timeoutMs: profile.clientTimeoutMs,
    onAccepted: (subject, at) => tracker.accepted(subject, at),
  });
  let checking = true;
  const checker = (async () => {
    while (checking) {
      const at = Date.now();
      await tracker.check(at);
      await sleep(Math.max(0, 250 - (Date.now() - at)));
    }
  })();

  load.start();
  const loadStart = Date.now();
  await sleep(profile.warmupS * 1000);
  faultStart = Date.now();
  const saturated = warmupProblem(load.answeredSince(loadStart).filter((a) => a.answeredAt <= faultStart));
  if (saturated) {
    notes.push(saturated);
    log(`  ${saturated}`);
  }
  // A fault that was not injected proves nothing: the row fails ("not run"), whatever its counts.
  let injectionError: string | undefined;
  try {
    await fault.inject(ctx);
  } catch (error) {
    injectionError = `the fault's injection failed: ${(error as Error).message}`;
    log(`  fault injection failed: ${(error as Error).message}`);
  }
  const faultEnd = Date.now();
  log(`  fault over after ${((faultEnd - faultStart) / 1000).toFixed(1)} s; load continues until the API accepts again`);
  // The load goes on for the tail, and as long as requests still fail (the API's recovery is part of the measurement).
  for (;;) {
    await sleep(250);
    const now = Date.now();
    // Healthy: the last second's worth of answers (at least 5) were all 202.
    const last = load.answeredSince(faultEnd).slice(-Math.max(5, profile.rate));
    const healthy = last.length >= 5 && last.every((a) => a.status === 202);
    if (now - faultEnd >= profile.tailS * 1000 && healthy) break;
    if (now - faultEnd >= profile.maxTailS * 1000) {
      notes.push(`the API still failed requests ${profile.maxTailS} s after the fault ended`);
      break;
    }
  }
  await load.stop();
  const apiRecoveryS = apiRecoverySeconds(load.records, faultStart);
  if (apiRecoveryS === null) {
    log('  the API did not accept again: restarting the API replicas (as an operator would)');
    notes.push('the API still failed when the load stopped: the harness then restarted the API replicas, as an operator would');
    await stack.restart(stack.apiNames());
  }
  const loadEnd = Date.now();
  log(`  load stopped (${load.records.length} requests); waiting for the consumer to catch up`);
  while (!tracker.drained() && Date.now() - loadEnd < profile.catchUpTimeoutS * 1000) await sleep(250);
  checking = false;
  await checker;
  const drained = tracker.drained();

  const records = load.records;
  const counts = await readCounts(
    stack.baseUrl,
    records.map((r) => r.subject),
  );
  const missing = new Set(records.filter((r) => accepted(r) && counts.get(r.subject) === 0).map((r) => r.subject));
  if (!drained) {
    notes.push(
      `the consumer did not make every accepted rating visible within ${profile.catchUpTimeoutS} s after the load stopped (${missing.size} missing): counted as lost`,
    );
    // An operator would now restart the group; so does the harness, so the next fault starts healthy.
    log('  consumer did not catch up: restarting the consumers (as an operator would)');
    await stack.restart(stack.consumerNames());
    notes.push('the harness then restarted the consumers, as an operator would, before the next fault');
  }
  const audited = excuseDestroyed(classify(records, { counts, missingAtDeadline: drained ? undefined : missing }), records, window);
  const classified = audited.classified;
  if (window !== null) {
    const w: DestroyWindow = window;
    notes.push(
      `${audited.destroyed.length} rating(s) ${w.why} (${((w.to - w.from) / 1000).toFixed(1)} s) were not counted: destroyed with the topic, not lost by the product${audited.destroyed.length > 0 ? ` (${audited.destroyed.slice(0, 5).join(', ')})` : ''}`,
    );
  }
  notes.push(...stack.events.splice(0));
  if (load.dropped > 0) notes.push(`${load.dropped} requests not sent: the generator had too many in flight`);
  const retried = records.filter((r) => r.attempts.length > 1).length;
  if (retried > 0)
    notes.push(`${retried} requests retried with their Idempotency-Key (${records.reduce((n, r) => n + r.attempts.length, 0)} attempts)`);
  const detail: FaultDetail = {
    row: faultRow(fault.name, classified, apiRecoveryS, tracker.catchUpSeconds(faultEnd)),
    zeroFailures: fault.zeroFailures ?? false,
    durationS: (Date.now() - phaseStart) / 1000,
    notes,
    examples: {
      lost: classified.lost.slice(0, 5),
      duplicated: classified.duplicated.slice(0, 5),
      writtenDespiteError: classified.writtenDespiteError.slice(0, 5),
    },
    failures: failuresByStatus(records),
    ...(injectionError ? { error: injectionError } : {}),
  };
  await fault.restore?.(ctx);
  return { detail, records, missing: drained ? new Set<string>() : missing, window };
}
