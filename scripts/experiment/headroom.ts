/**
 * The headroom verdict: a capacity ratio is a scaling result only when, at an arm's capacity, its
 * API replicas were what held it (their quota throttled them) while the machine still had CPU to
 * spare. Otherwise the ratio measures the machine, and the verdict names what saturated.
 */

/** What one block saw of the machine and the components, as the step probe measured it. */
export interface BlockReading {
  rate: number;
  /** Share of the whole machine's CPU time left idle, %. */
  machineIdlePct: number;
  stealCpuPct: number;
  /** % of one core per component (api-1…, nginx, kafka, redis, consumer, generator). */
  cpuPct: Record<string, number>;
  /** % of CFS periods in which each of the arm's replicas was throttled. */
  throttledPct: Record<string, number>;
}

export interface HeadroomLimits {
  /** The machine must keep at least this share of its CPU idle (%). */
  machineIdlePct: number;
  /** A single-threaded component this busy (% of one core) is saturated. */
  componentPct: number;
  /** Replicas throttled in at least this share of periods (%) are held by their quota. */
  throttledPct: number;
  /** The hypervisor taking this much (% of one core) makes the VM the bottleneck. */
  stealPct: number;
}

export interface Headroom {
  verdict: 'replica-bound' | 'machine-bound' | 'unattributed' | 'not measured';
  machine_idle_pct_min: number | null;
  /** What held the arm at its capacity: the API replicas, or what else saturated. */
  saturated: string[];
  /** The rates whose blocks were judged (those within ±15 % of the capacity, else the nearest). */
  rates: number[];
}

/** Components that run on one thread: at a core they are saturated whatever the machine has left. */
const SINGLE_THREADED = ['redis', 'consumer', 'generator'];
const NEAR = 0.15;

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/** The blocks at the capacity: within ±15 % of it, or else those at the nearest measured rate. */
function atCapacity(blocks: BlockReading[], capacity: number): BlockReading[] {
  const near = blocks.filter((b) => Math.abs(b.rate - capacity) <= NEAR * capacity);
  if (near.length > 0) return near;
  const nearest = Math.min(...blocks.map((b) => Math.abs(b.rate - capacity)));
  return blocks.filter((b) => Math.abs(b.rate - capacity) === nearest);
}

export function headroomVerdict(blocks: BlockReading[], capacity: number | null, limits: HeadroomLimits): Headroom {
  if (capacity === null || blocks.length === 0) return { verdict: 'not measured', machine_idle_pct_min: null, saturated: [], rates: [] };
  const judged = atCapacity(blocks, capacity);
  const idleMin = Math.min(...judged.map((b) => b.machineIdlePct));
  const saturated: string[] = [];
  const throttled = mean(judged.map((b) => mean(Object.values(b.throttledPct))));
  if (throttled >= limits.throttledPct) saturated.push(`API replicas (throttled in ${Math.round(throttled)} % of periods)`);
  for (const name of SINGLE_THREADED) {
    const busy = mean(judged.map((b) => b.cpuPct[name] ?? 0));
    if (busy >= limits.componentPct) saturated.push(`${name} (${Math.round(busy)} % of a core)`);
  }
  const steal = Math.max(...judged.map((b) => b.stealCpuPct));
  if (steal >= limits.stealPct) saturated.push(`the VM (hypervisor steal ${steal} % of a core)`);
  if (idleMin < limits.machineIdlePct) {
    const [top] = Object.entries(judged[0].cpuPct)
      .filter(([name]) => !name.startsWith('api-'))
      .sort((a, b) => b[1] - a[1]);
    saturated.push(`the machine (idle ${idleMin} % < ${limits.machineIdlePct} %${top ? `; busiest besides the API: ${top[0]}` : ''})`);
  }
  const replicaBound = saturated.length === 1 && saturated[0].startsWith('API replicas');
  if (saturated.length === 0) saturated.push('nothing saturated: the slow requests came from elsewhere (--diagnose attributes them)');
  return {
    verdict: replicaBound ? 'replica-bound' : idleMin < limits.machineIdlePct || saturated.length > 1 ? 'machine-bound' : 'unattributed',
    machine_idle_pct_min: idleMin,
    saturated,
    rates: [...new Set(judged.map((b) => b.rate))].sort((a, b) => a - b),
  };
}
