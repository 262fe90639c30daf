import { Objective, StepMeasurement } from './capacity-definition';
import { ContentionLimits, ContentionReading, Guarded, withContentionGuard } from './contention';
import { objectiveMisses, ObjectiveMisses, slowEpisodes } from './request-log';
import { ProbeTarget, StepProbe } from './step-probe';
import { AttributedEpisode, attributeEpisode, StallSummary, summarizeStalls } from './stalls';
import { Driver, DriverRun } from './vegeta';
import { setTimeout as sleep } from 'node:timers/promises';

/** A held step with everything recorded around it. */
export interface MeasuredStep extends StepMeasurement {
  requests: number;
  accepted: number;
  p90Ms: number;
  maxMs: number;
  statusCodes: Record<string, number>;
  contention: ContentionReading;
  /** CPU per component and the generator, % of one core. */
  cpuPct: Record<string, number>;
  /** Share of CFS periods (%) in which each replica's quota held it back. */
  throttledPct: Record<string, number>;
  stalls: StallSummary;
  /** The largest episodes of slow requests, with their causes. */
  episodes: AttributedEpisode[];
  /** Requests that missed the objective, when the generator gives every request. */
  misses: ObjectiveMisses | null;
}

export type GuardedStep = MeasuredStep & Guarded;

const EPISODES_KEPT = 5;

/** Runs one held step through the driver while a StepProbe watches the machine and the replicas. */
export function stepRunner(driver: Driver, target: ProbeTarget, windows: number, objective: Objective) {
  return async (rate: number, seconds: number, raw: string): Promise<MeasuredStep> => {
    const probe = await StepProbe.start(target, windows, seconds);
    let run: DriverRun | null = null;
    let failure: unknown = null;
    try {
      run = await driver(rate, seconds, windows, raw, (pid) => probe.addProcess(pid));
    } catch (error) {
      failure = error;
    }
    // Stop sampling whether or not the generator succeeded.
    const probed = await probe.finish(run?.generator.cpuSeconds ?? 0);
    if (!run) throw failure;
    const { stats } = run;
    const episodes = (run.records ? slowEpisodes(run.records, objective.p99Ms) : []).map((e) =>
      attributeEpisode(e, probed.timeline, probed.signals),
    );
    return {
      offered: rate,
      sentRate: stats.sentRate,
      throughput: stats.throughput,
      p50Ms: stats.p50Ms,
      p99Ms: stats.p99Ms,
      errorRate: stats.errorRate,
      windows: stats.windows,
      requests: stats.requests,
      accepted: stats.statusCodes['202'] ?? 0,
      p90Ms: stats.p90Ms,
      maxMs: stats.maxMs,
      statusCodes: stats.statusCodes,
      contention: probed.contention,
      cpuPct: probed.cpuPct,
      throttledPct: probed.throttledPct,
      stalls: summarizeStalls(episodes),
      episodes: [...episodes].sort((a, b) => b.requests - a.requests).slice(0, EPISODES_KEPT),
      misses: run.records ? objectiveMisses(run.records, rate, objective.p99Ms) : null,
    };
  };
}

export interface GuardPlan {
  limits: ContentionLimits;
  retries: number;
  retryPauseS: number;
}

/** A step repeated while the machine is contended (see contention.ts). */
export function guardedStep(run: ReturnType<typeof stepRunner>, guard: GuardPlan, log: (line: string) => void) {
  return (rate: number, seconds: number, raw: string): Promise<GuardedStep> => {
    let attempt = 1;
    return withContentionGuard(
      () => run(rate, seconds, attempt === 1 ? raw : `${raw}-try${attempt}`),
      guard.limits,
      guard.retries,
      async (reason) => {
        attempt++;
        log(`  ${rate} rps contended (${reason}): repeating (${attempt}/${guard.retries + 1})`);
        await sleep(guard.retryPauseS * 1000);
      },
    );
  };
}
