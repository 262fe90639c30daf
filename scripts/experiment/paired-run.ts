import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuThrottling } from '../stack/cpu-quota';
import { StackConfig } from '../stack/stack-config';
import { contendedBecause, ContentionLimits } from './contention';
import { Definitions } from './definitions';
import { Interrupted, throwIfInterrupted } from './interruption';
import { Arm, BlockPhase, PairedBlock, PairedRuns } from './paired-types';
import { appendedSince, drainedCounts, freshnessProbe } from './replica-run';
import { RequestRecord } from './request-log';
import { anotherRound, Block, ladder, roundOrder, warmup } from './round-plan';
import { BlockCount, crossing, pooledCurve } from './slow-share';
import { ProbeTarget } from './step-probe';
import { stepRunner } from './step-runner';
import { Driver, writeTargets } from './vegeta';

export interface PairedContext {
  config: StackConfig;
  defs: Definitions;
  rawDir: string;
  /** The stack's process trees (every running replica: an idle one is known load, not outside). */
  roots: Map<string, number>;
  limits: ContentionLimits;
  driverFor: (targetsFile: string) => Driver;
  seed: number;
  tag: string;
  diagnose: boolean;
  log: (line: string) => void;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);

/** Runs the blocks of a paired experiment, numbering them and giving each its own subjects. */
class BlockRunner {
  readonly blocks: PairedBlock[] = [];

  constructor(private readonly ctx: PairedContext) {}

  private target(arm: Arm): ProbeTarget {
    return {
      roots: this.ctx.roots,
      replicas: Array.from({ length: arm.replicas }, (_, i) => ({
        name: `api-${i + 1}`,
        throttling: () => cpuThrottling(this.ctx.config.id, `api-${i + 1}`),
        // GC pauses and Kafka ack latency per window, for the stall attribution (--diagnose only: scraping costs CPU).
        metricsUrl: this.ctx.diagnose ? `http://127.0.0.1:${this.ctx.config.apiBasePort + i}/metrics` : null,
      })),
    };
  }

  async run(arm: Arm, rate: number, seconds: number, phase: BlockPhase, round = 0, equalLoad = false): Promise<PairedBlock> {
    throwIfInterrupted();
    const { ctx } = this;
    const index = this.blocks.length + 1;
    const subjects = Array.from({ length: ctx.defs.rounds.subjects_per_block }, (_, i) => `${ctx.tag}-b${index}-${i}`);
    const targets = join(ctx.rawDir, `targets-b${index}.http`);
    writeTargets(targets, arm.url, subjects);
    let records: RequestRecord[] | null = null;
    const driver = ctx.driverFor(targets);
    const capturing: Driver = async (...args) => {
      const result = await driver(...args);
      records = result.records;
      return result;
    };
    const objective = { p99Ms: ctx.defs.objective.p99_ms, maxErrorRate: ctx.defs.objective.max_error_rate };
    const raw = join(ctx.rawDir, `b${index}-${phase}${round ? round : ''}-arm${arm.key}-${rate}`);
    const step = await stepRunner(capturing, this.target(arm), 1, objective)(rate, seconds, raw);
    const misses = step.misses ?? { requests: step.requests, bad: step.requests, errors: step.requests, sendLagMaxMs: 0 };
    const block: PairedBlock = {
      index,
      phase,
      round,
      arm: arm.key,
      rate,
      seconds,
      equalLoad,
      requests: misses.requests,
      bad: misses.bad,
      errors: misses.errors,
      accepted: step.accepted,
      sendLagMaxMs: misses.sendLagMaxMs,
      sentRate: Math.round(step.sentRate),
      throughput: Math.round(step.throughput),
      p50Ms: step.p50Ms,
      p99Ms: step.p99Ms,
      contention: step.contention,
      contended: contendedBecause(step.contention, ctx.limits),
      cpuPct: step.cpuPct,
      throttledPct: step.throttledPct,
      stalls: step.stalls,
      episodes: ctx.diagnose ? step.episodes : [],
      subjects,
      aggregated: -1,
      latenciesMs: equalLoad ? (records ?? ([] as RequestRecord[])).map((r) => Math.round(r.latencyMs * 100) / 100) : undefined,
    };
    this.blocks.push(block);
    return block;
  }
}

function describe(b: PairedBlock): string {
  const contended = b.contended ? `; CONTENDED: ${b.contended}` : '';
  return (
    `arm ${b.arm} @ ${b.rate} rps: ${pct(b.bad, b.requests)} % missed (${b.bad}/${b.requests}), p99 ${b.p99Ms} ms, ` +
    `lag ${b.sendLagMaxMs} ms, idle ${b.contention.machineIdlePct} %, outside ${b.contention.outsideCpuPct} %, steal ${b.contention.stealCpuPct} %${contended}`
  );
}

/**
 * The warm-up ramp of one arm: rising rates until two steps in a row miss the objective for more
 * than the ramp's stop share; where the pooled share crosses that stop share places the ladder.
 */
async function ramp(runner: BlockRunner, ctx: PairedContext, arm: Arm, from: number): Promise<number> {
  const r = ctx.defs.rounds.ramp;
  const steps: BlockCount[] = [];
  let over = 0;
  for (let rate = from, i = 0; i < r.max_steps && over < 2; i++, rate = Math.round(rate * r.factor)) {
    const b = await runner.run(arm, rate, r.step_s, 'ramp');
    ctx.log(`ramp ${describe(b)}`);
    steps.push({ arm: arm.key, round: 0, rate, requests: b.requests, bad: b.bad });
    over = b.bad > r.stop_share * b.requests ? over + 1 : 0;
    await sleep(ctx.defs.rounds.pause_s * 1000);
  }
  // Read at the stop share, not the budget: a ramp step is short, and one stall in it decides a 1 % reading.
  const found = crossing(pooledCurve(steps), r.stop_share);
  if (found.censored === 'above') return found.rps! * r.factor;
  return found.rps ?? from / r.factor;
}

/**
 * When the clean rounds so far put an arm's crossing beyond its ladder (the warm-up ramp guessed
 * wrong), the ladder grows a rate on that side (once per side), so the rounds to come bracket it.
 */
function extendLadders(
  blocks: PairedBlock[],
  voidRounds: number[],
  arms: Arm[],
  ladders: Record<string, number[]>,
  extended: Set<string>,
  ctx: PairedContext,
) {
  const clean = blocks.filter((b) => b.phase === 'round' && !voidRounds.includes(b.round) && !b.equalLoad);
  for (const arm of arms) {
    const mine = clean.filter((b) => b.arm === arm.key);
    const found = crossing(pooledCurve(mine), ctx.defs.rounds.budget);
    // Once per side: later rounds may pull the crossing back, and every rate costs every round a block.
    if (!found.censored || extended.has(`${arm.key}-${found.censored}`)) continue;
    extended.add(`${arm.key}-${found.censored}`);
    const rates = ladders[arm.key];
    const step = ctx.defs.rounds.ramp.factor;
    if (found.censored === 'above') rates.push(ladder(rates[rates.length - 1] * step, [1])[0]);
    else rates.unshift(ladder(rates[0] / step, [1])[0]);
    ctx.log(`arm ${arm.key}: the crossing lies ${found.censored} the ladder so far; ladder now ${rates.join(', ')}`);
  }
}

/** The rounds: every arm's ladder and the equal-load block, in a fresh random order each round. */
async function rounds(
  runner: BlockRunner,
  ctx: PairedContext,
  arms: Arm[],
  ladders: Record<string, number[]>,
  equalRate: number,
  measured: { voidRounds: number[]; freshness: { samples: number[]; subjects: string[] } },
) {
  const plan = {
    rounds: ctx.defs.rounds.rounds,
    extraRounds: ctx.defs.rounds.extra_rounds,
  };
  const { voidRounds, freshness } = measured;
  const extended = new Set<string>();
  for (let round = 1; anotherRound(plan, round - 1, round - 1 - voidRounds.length); round++) {
    extendLadders(runner.blocks, voidRounds, arms, ladders, extended, ctx);
    const blocks: Block[] = arms.flatMap((arm) => [
      ...ladders[arm.key].map((rate) => ({ arm: arm.key, rate, equalLoad: false })),
      { arm: arm.key, rate: equalRate, equalLoad: true },
    ]);
    const order = roundOrder(blocks, ctx.seed, round);
    ctx.log(
      `round ${round} (${round - 1 - voidRounds.length}/${plan.rounds} clean so far): ${order.map((b) => `${b.arm}@${b.rate}`).join(' ')}`,
    );
    let contended = false;
    for (const planned of order) {
      const arm = arms.find((a) => a.key === planned.arm)!;
      let probing = planned.equalLoad;
      const probe = probing
        ? freshnessProbe(arm.url, `${ctx.tag}-fresh${round}${arm.key}`, () => !probing, freshness.samples, freshness.subjects)
        : null;
      let b: PairedBlock;
      try {
        b = await runner.run(arm, planned.rate, ctx.defs.rounds.block_s, 'round', round, planned.equalLoad);
      } finally {
        probing = false;
        await probe;
      }
      ctx.log(`  ${describe(b)}`);
      contended ||= b.contended !== null;
      await sleep(ctx.defs.rounds.pause_s * 1000);
    }
    if (contended) {
      voidRounds.push(round);
      ctx.log(
        `round ${round} is void (a block was contended)${anotherRound(plan, round, round - voidRounds.length) ? '; running another' : ''}`,
      );
    }
  }
  return measured;
}

/** Saturation throughput: rising rates above the ladder until the arm no longer serves what is offered. */
async function saturation(runner: BlockRunner, ctx: PairedContext, arm: Arm, from: number): Promise<void> {
  const s = ctx.defs.rounds.saturation;
  for (let rate = from, i = 0; i < s.max_steps; i++, rate = Math.round(rate * s.factor)) {
    const b = await runner.run(arm, rate, s.step_s, 'saturation');
    ctx.log(`saturation arm ${arm.key} @ ${rate} rps: served ${b.throughput} rps, errors ${pct(b.errors, b.requests)} %`);
    if (
      b.throughput < (1 - ctx.defs.sustainable.tolerance) * rate ||
      b.errors / Math.max(1, b.requests) >= ctx.defs.objective.max_error_rate
    )
      break;
    await sleep(ctx.defs.rounds.pause_s * 1000);
  }
}

/** Waits for the consumer to catch up, then reads each block's subjects: every 202 counted once. */
async function audit(url: string, blocks: PairedBlock[], freshSubjects: string[], log: (line: string) => void) {
  const subjects = [...blocks.flatMap((b) => b.subjects), ...freshSubjects];
  const expected = blocks.reduce((a, b) => a + b.accepted, 0) + freshSubjects.length;
  const counts = await drainedCounts(url, subjects, expected, 10_000);
  let at = 0;
  for (const b of blocks) {
    b.aggregated = counts.slice(at, at + b.subjects.length).reduce((x, y) => x + y, 0);
    at += b.subjects.length;
  }
  const fresh = counts.slice(at).reduce((x, y) => x + y, 0);
  log(`integrity: ${expected} accepted, ${counts.reduce((x, y) => x + y, 0)} aggregated`);
  return { accepted: freshSubjects.length, aggregated: fresh };
}

/** Requests per door and upstream from nginx's access log since `offset`: each arm's replica shares. */
function replicaShares(logFile: string, offset: number, arms: Arm[], apiBasePort: number): Record<string, Record<string, number>> {
  const text = existsSync(logFile) ? appendedSince(logFile, offset) : '';
  const counts = new Map<string, Record<string, number>>();
  for (const m of text.matchAll(/door=(\d+) upstream=127\.0\.0\.1:(\d+) /g)) {
    const byReplica = counts.get(m[1]) ?? {};
    const replica = `api-${Number(m[2]) - apiBasePort + 1}`;
    byReplica[replica] = (byReplica[replica] ?? 0) + 1;
    counts.set(m[1], byReplica);
  }
  return Object.fromEntries(
    arms.map((arm) => {
      const byReplica = counts.get(new URL(arm.url).port) ?? {};
      const total = Object.values(byReplica).reduce((a, b) => a + b, 0);
      return [arm.key, Object.fromEntries(Object.entries(byReplica).map(([k, n]) => [k, Math.round((1000 * n) / total) / 1000]))];
    }),
  );
}

/**
 * The paired experiment on a running stack: warm-up, a ramp per arm placing its ladder, the
 * randomized interleaved rounds, a saturation ramp per arm, then the per-block integrity audit.
 */
export async function runPaired(ctx: PairedContext, arms: Arm[], aa: boolean): Promise<PairedRuns> {
  const r = ctx.defs.rounds;
  const accessLog = join(ctx.config.runDir, 'nginx', 'access.log');
  const logOffset = existsSync(accessLog) ? statSync(accessLog).size : 0;
  const started = Date.now();
  const runner = new BlockRunner(ctx);
  const expected: Record<string, number> = {};
  const ladders: Record<string, number[]> = {};
  let equalLoadRate = 0;
  let measured: Awaited<ReturnType<typeof rounds>> = { voidRounds: [], freshness: { samples: [], subjects: [] } };
  let stoppedBy: string | null = null;
  try {
    // JIT (the apps' and Kafka's JVM: a minute), connection pools, Kafka's first batches: through the
    // widest door, then a step through each other door.
    const warm = warmup(arms, r.warmup_rate_per_replica);
    ctx.log(`warm-up: ${warm.rate} rps through arm ${warm.arm.key} for ${ctx.defs.warmup_s} s`);
    await runner.run(warm.arm, warm.rate, ctx.defs.warmup_s, 'ramp');
    for (const arm of arms.filter((a) => a !== warm.arm)) await runner.run(arm, r.ramp.start_rate, r.ramp.step_s, 'ramp');
    for (const arm of arms) {
      const smaller = Object.values(expected);
      const from = smaller.length ? Math.max(r.ramp.start_rate, Math.round(r.ramp.resume_from * Math.max(...smaller))) : r.ramp.start_rate;
      expected[arm.key] = Math.round(await ramp(runner, ctx, arm, from));
      ladders[arm.key] = ladder(expected[arm.key], r.ladder);
      ctx.log(`arm ${arm.key}: ${r.ramp.stop_share * 100} % missed near ${expected[arm.key]} rps; ladder ${ladders[arm.key].join(', ')}`);
    }
    equalLoadRate = ladder(Math.min(...Object.values(ladders).map((l) => l[0])) * r.equal_load_fraction, [1])[0];
    ctx.log(`equal offered load for every arm: ${equalLoadRate} rps`);
    measured = await rounds(runner, ctx, arms, ladders, equalLoadRate, measured);
    for (const arm of arms) await saturation(runner, ctx, arm, Math.round(Math.max(...ladders[arm.key]) * r.saturation.factor));
  } catch (error) {
    // Interrupted during the rounds: what was measured is audited and reported, marked as such.
    if (!(error instanceof Interrupted) || !runner.blocks.some((b) => b.phase === 'round')) throw error;
    stoppedBy = error.message;
    ctx.log(`${stoppedBy}; auditing and reporting what was measured`);
  }
  ctx.log('draining and checking every block');
  const fresh = await audit(arms[arms.length - 1].url, runner.blocks, measured.freshness.subjects, ctx.log);
  await sleep(1500); // nginx flushes its access log buffer every second
  return {
    kind: 'paired',
    seed: ctx.seed,
    aa,
    arms,
    expected,
    ladders,
    equalLoadRate,
    blocks: runner.blocks,
    voidRounds: measured.voidRounds,
    freshnessMs: measured.freshness.samples,
    freshness: fresh,
    replicaShare: replicaShares(accessLog, logOffset, arms, ctx.config.apiBasePort),
    durationS: Math.round((Date.now() - started) / 1000),
    stoppedBy,
  };
}
