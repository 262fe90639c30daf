import { readFileSync } from 'node:fs';
import { contentionReading, ContentionReading, MachineTicks, parseProcStat } from './contention';
import { CLK_TCK, CpuWindow, processTable, procStat, treeMembers } from './process-cpu';
import { histogramAbove, histogramDelta, HistogramReading, parsePromText } from './prom-text';
import { ReplicaWindowSignals, SignalWindow, TimelinePoint } from './stalls';

/** A replica the probe watches: its quota's counters and its /metrics (either may be missing). */
export interface ProbedReplica {
  name: string;
  throttling: () => { periods: number; throttled: number; throttledMs: number } | null;
  metricsUrl: string | null;
}

export interface ProbeTarget {
  /** Process trees of the stack under test, by component name. */
  roots: Map<string, number>;
  replicas: ProbedReplica[];
}

export interface ProbeResult {
  contention: ContentionReading;
  /** CPU per component (and the generator) in % of one core. */
  cpuPct: Record<string, number>;
  /** Share of CFS periods (%) in which each replica's quota held it back. */
  throttledPct: Record<string, number>;
  timeline: TimelinePoint[];
  signals: SignalWindow[];
}

const SAMPLE_MS = 100;
const machineTicks = (): MachineTicks => parseProcStat(readFileSync('/proc/stat', 'utf8'));
const selfTicks = () => {
  const self = procStat('self');
  return self ? self.ticks + self.childTicks : 0;
};

interface Signals {
  gc: HistogramReading;
  acks: HistogramReading;
}

async function scrape(url: string): Promise<Signals | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const samples = parsePromText(await response.text());
    return {
      gc: histogramAbove(samples, 'nodejs_gc_duration_seconds', 0.01),
      acks: histogramAbove(samples, 'rate_produce_batch_duration_seconds', 0.025),
    };
  } catch {
    return null;
  }
}

/**
 * Watches one measurement step: machine and per-process CPU for the contention guard, a ~100 ms
 * timeline of CFS throttling and outside CPU, and each window's GC pauses and Kafka ack latency
 * scraped from the replicas — what the stall attribution sets slow requests against.
 */
export class StepProbe {
  private readonly startedAt = process.hrtime.bigint();
  private readonly machineStart = machineTicks();
  /** This harness and the children it waited for (the generator, vegeta's decoding): CPU ticks. */
  private readonly selfStart = selfTicks();
  private readonly cpu: CpuWindow;
  private readonly throttleStart: Map<string, { periods: number; throttled: number; throttledMs: number } | null>;
  private readonly members: number[];
  private readonly lastTicks = new Map<number, number>();
  private readonly knownStart: number;
  readonly timeline: TimelinePoint[] = [];
  private readonly scrapes: { atMs: number; replicas: Map<string, Signals | null> }[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private pendingScrapes: Promise<void>[] = [];

  private constructor(
    private readonly target: ProbeTarget,
    private readonly windows: number,
    seconds: number,
  ) {
    this.cpu = new CpuWindow(target.roots);
    const table = processTable();
    this.members = [...new Set([...[...target.roots.values()].flatMap((root) => treeMembers(table, root)), process.pid])];
    this.knownStart = this.knownTicks();
    this.throttleStart = new Map(target.replicas.map((r) => [r.name, r.throttling()]));
    this.sample();
    this.timers.push(setInterval(() => this.sample(), SAMPLE_MS));
    for (let k = 1; k <= windows; k++)
      this.timers.push(setTimeout(() => this.pendingScrapes.push(this.scrapeAll()), (k * seconds * 1000) / windows));
  }

  static async start(target: ProbeTarget, windows: number, seconds: number): Promise<StepProbe> {
    const probe = new StepProbe(target, windows, seconds);
    await probe.scrapeAll();
    return probe;
  }

  /** The generator's pid, once spawned: its CPU is known, not outside load. */
  addProcess(pid: number): void {
    if (!this.members.includes(pid)) this.members.push(pid);
  }

  /** Known processes' ticks; a process that exited keeps its last reading. */
  private knownTicks(): number {
    let total = 0;
    for (const pid of this.members) {
      const ticks = procStat(pid)?.ticks;
      if (ticks !== undefined) this.lastTicks.set(pid, ticks);
      total += this.lastTicks.get(pid) ?? 0;
    }
    return total;
  }

  private sample(): void {
    const machine = machineTicks();
    const outsideTicks =
      machine.busy - this.machineStart.busy - (this.knownTicks() - this.knownStart) + (machine.steal - this.machineStart.steal);
    const throttledMs: Record<string, number> = {};
    for (const r of this.target.replicas) {
      const t = r.throttling();
      if (t) throttledMs[r.name] = t.throttledMs;
    }
    this.timeline.push({ atMs: Date.now(), throttledMs, outsideCpuMs: Math.max(0, (outsideTicks * 1000) / CLK_TCK) });
  }

  private async scrapeAll(): Promise<void> {
    const atMs = Date.now();
    const replicas = new Map<string, Signals | null>();
    await Promise.all(this.target.replicas.map(async (r) => replicas.set(r.name, r.metricsUrl ? await scrape(r.metricsUrl) : null)));
    this.scrapes.push({ atMs, replicas });
  }

  async finish(generatorCpuSeconds: number): Promise<ProbeResult> {
    for (const timer of this.timers) {
      clearInterval(timer);
      clearTimeout(timer);
    }
    this.sample();
    // The window ends with the attack: when its timer had not fired yet, scrape now.
    if (this.pendingScrapes.length < this.windows) this.pendingScrapes.push(this.scrapeAll());
    await Promise.all(this.pendingScrapes);
    const seconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const { cpuSeconds } = this.cpu.used();
    // The generator's own CPU is counted apart; what else this harness ran is the harness's.
    const harness = Math.max(0, (selfTicks() - this.selfStart) / CLK_TCK - generatorCpuSeconds);
    const stack = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
    const contention = contentionReading(
      this.machineStart,
      machineTicks(),
      { stack, generator: generatorCpuSeconds, harness },
      seconds,
      CLK_TCK,
    );
    const cpuPct: Record<string, number> = {};
    for (const [name, cpu] of Object.entries(cpuSeconds)) cpuPct[name] = Math.round((1000 * cpu) / seconds) / 10;
    cpuPct.generator = contention.generatorCpuPct;
    const throttledPct: Record<string, number> = {};
    for (const r of this.target.replicas) {
      const a = this.throttleStart.get(r.name);
      const b = r.throttling();
      if (a && b && b.periods > a.periods)
        throttledPct[r.name] = Math.round((1000 * (b.throttled - a.throttled)) / (b.periods - a.periods)) / 10;
    }
    return { contention, cpuPct, throttledPct, timeline: this.timeline, signals: this.signalWindows() };
  }

  private signalWindows(): SignalWindow[] {
    const scrapes = [...this.scrapes].sort((a, b) => a.atMs - b.atMs);
    const windows: SignalWindow[] = [];
    for (let i = 1; i < scrapes.length; i++) {
      const replicas: Record<string, ReplicaWindowSignals> = {};
      for (const r of this.target.replicas) {
        const before = scrapes[i - 1].replicas.get(r.name);
        const after = scrapes[i].replicas.get(r.name);
        if (!before || !after) continue;
        const gc = histogramDelta(before.gc, after.gc);
        const acks = histogramDelta(before.acks, after.acks);
        replicas[r.name] = { gcPausesOver10ms: gc.above, gcMs: Math.round(gc.sum * 1e4) / 10, acks: acks.count, acksOver25ms: acks.above };
      }
      windows.push({ startMs: scrapes[i - 1].atMs, endMs: scrapes[i].atMs, replicas });
    }
    return windows;
  }
}
