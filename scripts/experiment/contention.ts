/**
 * The contention guard. A measurement step only says something about the service when the machine
 * gave the service what it asked for: the CPU that neither the stack, nor the load generator,
 * nor this harness used (from /proc/stat, machine-wide, minus the known processes) must stay
 * small, and so must the generator's own CPU and the CPU the hypervisor took away (steal). A step that breaks either limit is repeated; a run
 * that cannot get clean steps is flagged and its headline ratio withheld.
 */

/** Aggregate CPU time of the machine in clock ticks (the "cpu" line of /proc/stat). */
export interface MachineTicks {
  /** user + nice + system: time spent running processes. */
  busy: number;
  /** irq + softirq: interrupt work, mostly the loopback traffic the experiment itself sends. */
  interrupts: number;
  /** Time the hypervisor gave this machine's CPUs to someone else while they had work. */
  steal: number;
  /** idle + iowait: time no CPU had anything to run. */
  idle: number;
  /** Every field: all CPUs' wall time. */
  total: number;
}

export function parseProcStat(text: string): MachineTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return {
    busy: user + nice + system,
    interrupts: (irq ?? 0) + (softirq ?? 0),
    steal: steal ?? 0,
    idle: idle + (iowait ?? 0),
    total: fields.reduce((a, b) => a + (b || 0), 0),
  };
}

/** CPU seconds of the processes the experiment knows about over the same window. */
export interface KnownCpu {
  stack: number;
  generator: number;
  harness: number;
}

export interface ContentionReading {
  seconds: number;
  /** Everything else, in % of one core. */
  outsideCpuPct: number;
  generatorCpuPct: number;
  stackCpuPct: number;
  harnessCpuPct: number;
  interruptsCpuPct: number;
  stealCpuPct: number;
  /** Share of the whole machine's CPU time left idle, %. */
  machineIdlePct: number;
}

export interface ContentionLimits {
  outsideCpuPct: number;
  generatorCpuPct: number;
  /** Hypervisor steal allowed, % of one core (set from an A/A calibration run). */
  stealCpuPct?: number;
}

const pct = (cpuSeconds: number, seconds: number) => (seconds > 0 ? Math.round((1000 * cpuSeconds) / seconds) / 10 : 0);

/**
 * Outside load = machine busy time − what the known processes used (never below 0: tick sampling
 * can attribute a little more to the processes than the machine counted). Steal is its own reading.
 */
export function contentionReading(
  before: MachineTicks,
  after: MachineTicks,
  known: KnownCpu,
  seconds: number,
  ticksPerSecond: number,
): ContentionReading {
  const busy = (after.busy - before.busy) / ticksPerSecond;
  const steal = (after.steal - before.steal) / ticksPerSecond;
  const outside = Math.max(0, busy - known.stack - known.generator - known.harness);
  const wall = after.total - before.total;
  return {
    seconds: Math.round(seconds * 10) / 10,
    outsideCpuPct: pct(outside, seconds),
    generatorCpuPct: pct(known.generator, seconds),
    stackCpuPct: pct(known.stack, seconds),
    harnessCpuPct: pct(known.harness, seconds),
    interruptsCpuPct: pct((after.interrupts - before.interrupts) / ticksPerSecond, seconds),
    stealCpuPct: pct(steal, seconds),
    machineIdlePct: wall > 0 ? Math.round((1000 * (after.idle - before.idle)) / wall) / 10 : 0,
  };
}

/** Why a step is contended, or null when it is clean. */
export function contendedBecause(reading: ContentionReading, limits: ContentionLimits): string | null {
  const reasons: string[] = [];
  if (reading.outsideCpuPct > limits.outsideCpuPct)
    reasons.push(`outside load ${reading.outsideCpuPct} % of a core > ${limits.outsideCpuPct} %`);
  if (reading.generatorCpuPct > limits.generatorCpuPct)
    reasons.push(`load generator ${reading.generatorCpuPct} % of a core > ${limits.generatorCpuPct} %`);
  if (limits.stealCpuPct !== undefined && reading.stealCpuPct > limits.stealCpuPct)
    reasons.push(`hypervisor steal ${reading.stealCpuPct} % of a core > ${limits.stealCpuPct} %`);
  return reasons.length ? reasons.join('; ') : null;
}

export interface Guarded {
  contention: ContentionReading;
  /** How many times the step ran (1 = clean at once). */
  attempts: number;
  /** Null when the kept measurement is clean, else why it is not. */
  contended: string | null;
}

/**
 * Runs `attempt` until a measurement is clean or `retries` repeats are spent; keeps the last
 * measurement, marked contended when it still is.
 */
export async function withContentionGuard<T extends { contention: ContentionReading }>(
  attempt: () => Promise<T>,
  limits: ContentionLimits,
  retries: number,
  beforeRetry: (reason: string, attempt: number) => Promise<void>,
): Promise<T & Guarded> {
  for (let attempts = 1; ; attempts++) {
    const result = await attempt();
    const contended = contendedBecause(result.contention, limits);
    if (contended === null || attempts > retries) return { ...result, attempts, contended };
    await beforeRetry(contended, attempts);
  }
}

/** The run-level verdict: worst readings over the kept steps, flagged when any kept step is contended. */
export function contentionSummary(steps: Guarded[], limits: ContentionLimits) {
  const readings = steps.map((s) => s.contention);
  return {
    outside_cpu_pct_max: Math.max(0, ...readings.map((r) => r.outsideCpuPct)),
    generator_cpu_pct_max: Math.max(0, ...readings.map((r) => r.generatorCpuPct)),
    flagged: steps.some((s) => s.contended !== null),
    contended_steps: steps.filter((s) => s.contended !== null).length,
    repeated_steps: steps.filter((s) => s.attempts > 1).length,
    steps: steps.length,
    limits: { outside_cpu_pct: limits.outsideCpuPct, generator_cpu_pct: limits.generatorCpuPct },
  };
}
