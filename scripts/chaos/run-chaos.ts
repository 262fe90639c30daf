import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackConfig } from '../stack/stack-config';
import { apiShutdownDrainMs } from '../stack/chart-values';
import { StackShape } from '../stack/services';
import { StackState } from '../stack/stack';
import { readCounts } from './aggregate-reader';
import { classify, DestroyWindow, excuseDestroyed, faultRow } from './audit';
import { ChaosStack } from './chaos-stack';
import { FaultDetail, RequestRecord } from './chaos-types';
import { Fault, StackKind } from './faults';
import { Profile } from './profiles';
import { RunInfo } from './report';
import { runPhase } from './run-phase';

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
  'redis-cluster': { replicas: 3, brokers: 1, consumers: 2, redisNodes: 3 },
};

const DESCRIPTIONS: Record<StackKind, string> = { single: '1-broker', cluster: '3-broker', 'redis-cluster': 'Redis Cluster' };

/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** One phase's audit material, kept for the stack's final audit. */
interface StackPhase {
  fault: Fault;
  detail: FaultDetail;
  records: RequestRecord[];
  missing: Set<string>;
  window: DestroyWindow | null;
}

/**
 * Runs each fault under open load on its stack (1 broker or 3), audits every request, and
 * returns a row per fault. Each stack kind is started once, clean, and reused across its faults.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const runId = randomBytes(3).toString('hex');
  const meter = startMeter();
  const details: FaultDetail[] = [];
  const stacks: string[] = [];
  let cgroups = 'not measured';
  for (const kind of ['single', 'cluster', 'redis-cluster'] as StackKind[]) {
    const faults = options.faults.filter((f) => f.stack === kind);
    if (faults.length === 0) continue;
    const outcome = await runStackKind(kind, faults, options, runId);
    details.push(...outcome.details);
    stacks.push(outcome.stack);
    cgroups = outcome.cgroups ?? cgroups;
  }
  return { details, info: runInfo(options, meter, cgroups, stacks) };
}

/** Starts one kind of stack, runs its faults, audits them all again, stops it. */
async function runStackKind(kind: StackKind, faults: Fault[], options: ChaosOptions, runId: string) {
  const { log } = options;
  const config = stackConfig({ ...process.env, ...options.stackEnv, RATE_RUN_DIR: join(options.stackEnv.RATE_RUN_DIR, kind) });
  const shape = SHAPES[kind];
  // The API drains on SIGTERM as the chart deploys it: the rolling update is Kubernetes' rollout.
  const appEnv = { SHUTDOWN_DRAIN_MS: String(apiShutdownDrainMs(config.valuesFile)), ...options.appEnv };
  const stack = new ChaosStack(config, shape, appEnv, (line) => log(`  [stack] ${line}`));
  log(
    `starting the ${DESCRIPTIONS[kind]} stack (${shape.replicas} API replicas, ${shape.brokers} broker(s), ${shape.consumers} consumers${shape.redisNodes ? `, ${shape.redisNodes} Redis primaries` : ''}) in ${config.runDir}`,
  );
  const launch = await startStack(stack, log);
  if ('error' in launch) {
    // Its faults are rows that say why they did not run; the other stack's faults still run.
    const details = faults.map((fault) => notRun(fault, `not run: the ${kind} stack did not start (${launch.error})`));
    return { details, stack: `${kind}: did not start (${launch.error})`, cgroups: null };
  }
  const { state } = launch;
  const cgroups = state.cgroups ? `${state.cpuLimitMillis}m per API replica (cgroup quota)` : `none (${state.cgroupProblem})`;
  const described = `${kind}: ${shape.replicas} API replicas, ${shape.brokers} broker(s), ${shape.consumers} consumers, nginx :${config.nginxPort}${launch.retried ? ` (started at the second attempt; the first: ${launch.retried})` : ''}`;
  stack.supervise();
  const details: FaultDetail[] = [];
  try {
    const phases = await runFaults(stack, faults, options, runId, details);
    await finalAudit(stack, kind, phases, log);
  } finally {
    await stack.stop(!(options.keepData ?? true));
  }
  return { details, stack: described, cgroups };
}

/** The stack's faults in turn; once one leaves the stack broken, the rest are rows that say so. */
async function runFaults(
  stack: ChaosStack,
  faults: Fault[],
  options: ChaosOptions,
  runId: string,
  details: FaultDetail[],
): Promise<StackPhase[]> {
  const { log, profile } = options;
  const phases: StackPhase[] = [];
  let broken: string | null = null;
  for (const fault of faults) {
    const label = `[${options.faults.indexOf(fault) + 1}/${options.faults.length}] ${fault.name}`;
    log(label);
    if (broken !== null) {
      log(`${label}: not run (${broken})`);
      details.push(notRun(fault, `not run: an earlier fault left the stack broken (${broken})`));
      continue;
    }
    const phase = await runPhase(stack, fault, profile, `chaos-${runId}-${fault.slug}`, log).catch((error: Error) => error);
    if (phase instanceof Error) {
      broken = phase.message;
      log(`${label}: not run (${broken})`);
      details.push(notRun(fault, broken));
      continue;
    }
    details.push(phase.detail);
    phases.push({ fault, ...phase });
    const { row } = phase.detail;
    log(
      `${label}: ${row.requests} requests, ${row.accepted} accepted, ${row.failed} failed, ${row.lost} lost, ${row.duplicated} duplicated, ${row.written_despite_error} written despite error; API recovery ${row.api_recovery_s ?? 'never'} s, catch-up ${row.consumer_catch_up_s ?? 'never'} s (${phase.detail.durationS.toFixed(0)} s)`,
    );
  }
  return phases;
}

/** A rating may be counted twice long after its phase (a later fault replays it): every phase is audited again. */
async function finalAudit(stack: ChaosStack, kind: StackKind, phases: StackPhase[], log: (line: string) => void): Promise<void> {
  log(`final audit of the ${kind} stack's ${phases.reduce((n, p) => n + p.records.length, 0)} requests`);
  for (const phase of phases) {
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
}

function startMeter() {
  return { started: Date.now(), cpu: process.cpuUsage(), machine: machineJiffies() };
}

function runInfo(options: ChaosOptions, meter: ReturnType<typeof startMeter>, cgroups: string, stacks: string[]): RunInfo {
  const machineEnd = machineJiffies();
  const cpu = process.cpuUsage(meter.cpu);
  const durationS = (Date.now() - meter.started) / 1000;
  return {
    profile: options.profile.name,
    command: options.command,
    startedAt: new Date(meter.started).toISOString(),
    durationS,
    cores: cpus().length,
    machineBusyPct: (100 * (machineEnd.busy - meter.machine.busy)) / Math.max(1, machineEnd.total - meter.machine.total),
    harnessCpuPct: (100 * (cpu.user + cpu.system)) / 1e6 / durationS,
    loadAverage: loadavg(),
    cgroups,
    stacks,
    rate: options.profile.rate,
  };
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
