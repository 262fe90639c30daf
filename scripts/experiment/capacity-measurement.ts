import { JudgedStep } from './capacity-definition';
import { laterSweepStart, locate, sustainableStart, sweep, SweepResult, sweepStart } from './capacity-sweep';
import { Definitions, sweepPlan } from './definitions';
import { GuardedStep } from './step-runner';
import { setTimeout as sleep } from 'node:timers/promises';

export type RunStep = (rate: number, seconds: number, raw: string) => Promise<GuardedStep>;

export interface CapacityRun {
  located: { estimate: number; sustainableEstimate: number; steps: JudgedStep<GuardedStep>[] };
  sweeps: SweepResult<GuardedStep>[];
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function describe(step: GuardedStep): string {
  const windows = step.windows.map((w) => fmt(w.p99Ms)).join('/');
  const retried = step.attempts > 1 ? `, ${step.attempts} attempts` : '';
  const dirty = step.contended ? ` — CONTENDED (${step.contended})` : '';
  return (
    `offered ${step.offered} rps → sent ${fmt(step.sentRate)}, served ${fmt(step.throughput)}/s, p99 ${fmt(step.p99Ms)} ms (windows ${windows}), ` +
    `errors ${(step.errorRate * 100).toFixed(2)} %, outside ${step.contention.outsideCpuPct} %, generator ${step.contention.generatorCpuPct} %${retried}${dirty}`
  );
}

/**
 * Capacity of one system under test (the app at N replicas, or the bare-Fastify baseline): a short
 * locating ramp (unguarded: it only places the sweep), then `repeats` full sweeps of guarded steps
 * over the same grid of rates.
 */
export async function measureCapacity(
  defs: Definitions,
  runLocate: RunStep,
  runGuarded: RunStep,
  rawPrefix: string,
  log: (line: string) => void,
): Promise<CapacityRun> {
  const plan = sweepPlan(defs);
  const pause = () => sleep(defs.capacity.pause_s * 1000);
  const located = await locate(plan, async (rate) => {
    const step = await runLocate(rate, defs.capacity.locate_step_s, `${rawPrefix}-locate-${rate}`);
    log(`locate: ${describe(step)}`);
    await pause();
    return step;
  });
  const first = sweepStart(plan, located.estimate);
  const skipTo = sustainableStart(plan, located.sustainableEstimate);
  log(
    `located ~${located.estimate} rps at the objective, ~${located.sustainableEstimate} rps sustainable; sweeping from ${first} rps by ×${plan.sweepFactor}, ` +
      `${defs.capacity.step_duration_s} s per rate in ${defs.capacity.windows} windows, skipping to ${skipTo} rps once the objective fails systematically`,
  );
  const sweeps: SweepResult<GuardedStep>[] = [];
  for (let r = 1; r <= defs.capacity.repeats; r++) {
    const measure = async (rate: number) => {
      const step = await runGuarded(rate, defs.capacity.step_duration_s, `${rawPrefix}-capacity-${r}-${rate}`);
      log(`capacity ${r}/${defs.capacity.repeats}: ${describe(step)}`);
      await pause();
      return step;
    };
    const result = await sweep(plan, r === 1 ? first : laterSweepStart(plan, first, sweeps[0].capacity.rps), measure, skipTo);
    sweeps.push(result);
    const isolated = result.capacity.isolatedFailures.length
      ? `; isolated failures at ${result.capacity.isolatedFailures.join(', ')} rps`
      : '';
    log(
      `capacity ${r}/${defs.capacity.repeats}: ${result.capacity.rps} rps at the objective (limited by ${result.capacity.limitedBy}${isolated}), ` +
        `sustainable ${result.sustainable.rps} rps${result.sustainable.reached ? '' : ' (not reached)'}`,
    );
  }
  return { located, sweeps };
}
