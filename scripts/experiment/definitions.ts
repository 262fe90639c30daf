import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';
import { SweepPlan } from './capacity-sweep';
import { ContentionLimits } from './contention';

/** loadtest/scenarios.json: the one definition of the scenarios, shared with the k6 scripts. */
export interface Definitions {
  objective: { p99_ms: number; max_error_rate: number };
  sustainable: { tolerance: number };
  subjects: number;
  closed: { vus: number; duration_s: number; repeats: number };
  open: { rate: number; duration_s: number; fraction_of_capacity_1: number; repeats: number };
  capacity: {
    start_rate: number;
    locate_factor: number;
    locate_step_s: number;
    step_factor: number;
    sweep_from: number;
    sustainable_from: number;
    step_duration_s: number;
    windows: number;
    stop_after: number;
    pause_s: number;
    max_rate: number;
    max_steps: number;
    max_down_steps: number;
    repeats: number;
  };
  /** The paired rounds of the scaling figure (DESIGN.md, "The scaling figure"). */
  rounds: {
    rounds: number;
    extra_rounds: number;
    min_clean_rounds: number;
    block_s: number;
    pause_s: number;
    budget: number;
    /** How far from R its 95 % interval may reach for R to be printed as a reproducible figure. */
    interval_goal: number;
    ladder: number[];
    equal_load_fraction: number;
    subjects_per_block: number;
    /** Warm-up load per replica of the widest arm (an A/A run warms its single replica, not three). */
    warmup_rate_per_replica: number;
    ramp: { start_rate: number; factor: number; step_s: number; stop_share: number; max_steps: number; resume_from: number };
    saturation: { factor: number; step_s: number; max_steps: number };
  };
  headroom: { machine_idle_pct: number; component_pct: number; throttled_pct: number };
  contention: { outside_cpu_pct: number; generator_cpu_pct: number; steal_pct: number; retries: number; retry_pause_s: number };
  idle_s: number;
  warmup_s: number;
}

type Overrides = { [K in keyof Definitions]?: Definitions[K] extends object ? Partial<Definitions[K]> : Definitions[K] };

/** The full definitions, or --quick's shorter ones laid over them. */
export function loadDefinitions(quick: boolean, file = join(ROOT, 'loadtest', 'scenarios.json')): Definitions {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Definitions & { quick: Overrides };
  const { quick: overrides, ...defs } = raw;
  if (!quick) return defs;
  const merged = { ...defs } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const base = (defs as unknown as Record<string, unknown>)[key];
    merged[key] = typeof value === 'object' && value !== null && typeof base === 'object' ? { ...base, ...value } : value;
  }
  return merged as unknown as Definitions;
}

export function sweepPlan(defs: Definitions): SweepPlan {
  return {
    objective: { p99Ms: defs.objective.p99_ms, maxErrorRate: defs.objective.max_error_rate },
    tolerance: defs.sustainable.tolerance,
    startRate: defs.capacity.start_rate,
    locateFactor: defs.capacity.locate_factor,
    sweepFactor: defs.capacity.step_factor,
    sweepFrom: defs.capacity.sweep_from,
    sustainableFrom: defs.capacity.sustainable_from,
    maxRate: defs.capacity.max_rate,
    maxSteps: defs.capacity.max_steps,
    maxDownSteps: defs.capacity.max_down_steps,
    stopAfter: defs.capacity.stop_after,
  };
}

export function contentionLimits(defs: Definitions): ContentionLimits {
  return {
    outsideCpuPct: defs.contention.outside_cpu_pct,
    generatorCpuPct: defs.contention.generator_cpu_pct,
    stealCpuPct: defs.contention.steal_pct,
  };
}
