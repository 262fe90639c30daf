import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { stopOnInterrupt, throwIfInterrupted } from './interruption';

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime, clock ticks. */
  ticks: number;
  /** cutime + cstime: children this process has waited for, clock ticks. */
  childTicks: number;
}

export function procStat(pid: number | 'self'): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** Every process's parent and CPU ticks, from one pass over /proc. */
export function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s) table.set(Number(entry), s);
  }
  return table;
}

/** A process and all its descendants (nginx workers; JVM and Node threads are inside the process). */
export function treeMembers(table: Map<number, ProcStat>, root: number, children = childrenOf(table)): number[] {
  const members: number[] = [];
  const queue = table.has(root) ? [root] : [];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    members.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return members;
}

function childrenOf(table: Map<number, ProcStat>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const [pid, s] of table) {
    const siblings = children.get(s.ppid);
    if (siblings) siblings.push(pid);
    else children.set(s.ppid, [pid]);
  }
  return children;
}

/** CPU seconds of each named process tree, from one pass over /proc. */
export function treeCpuSeconds(roots: Map<string, number>): Record<string, number> {
  const table = processTable();
  const children = childrenOf(table);
  const result: Record<string, number> = {};
  for (const [name, root] of roots)
    result[name] = treeMembers(table, root, children).reduce((sum, pid) => sum + (table.get(pid)?.ticks ?? 0), 0) / CLK_TCK;
  return result;
}

/** CPU use of named process trees over a window, in % of one core. */
export class CpuWindow {
  private readonly start: Record<string, number>;
  private readonly startedAt = process.hrtime.bigint();

  constructor(private readonly roots: Map<string, number>) {
    this.start = treeCpuSeconds(roots);
  }

  /** CPU seconds per tree since the window opened. */
  used(): { seconds: number; cpuSeconds: Record<string, number> } {
    const now = treeCpuSeconds(this.roots);
    const cpuSeconds: Record<string, number> = {};
    for (const name of Object.keys(now)) cpuSeconds[name] = now[name] - (this.start[name] ?? 0);
    return { seconds: Number(process.hrtime.bigint() - this.startedAt) / 1e9, cpuSeconds };
  }

  finish(): Record<string, number> {
    const { seconds, cpuSeconds } = this.used();
    const result: Record<string, number> = {};
    for (const [name, cpu] of Object.entries(cpuSeconds)) result[name] = Math.round((1000 * cpu) / seconds) / 10;
    return result;
  }
}

export interface GeneratorRun {
  /** CPU seconds the generator used, exactly: the kernel adds a waited-for child's time to its parent. */
  cpuSeconds: number;
  seconds: number;
  cpuPct: number;
}

/**
 * Runs a load generator to completion and measures its CPU. Throws with the tail of its stderr
 * when it exits with a code other than `okExitCodes`. No other child of this process may exit meanwhile (the measurement is
 * the growth of this process's children's CPU time).
 */
export async function runGenerator(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onSpawn: (pid: number) => void = () => undefined,
  okExitCodes: number[] = [0],
): Promise<GeneratorRun> {
  throwIfInterrupted();
  const childTicksBefore = procStat('self')?.childTicks ?? 0;
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const forget = stopOnInterrupt(child);
  if (child.pid !== undefined) onSpawn(child.pid);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  forget();
  // A step cut short by the signal is not a measurement.
  throwIfInterrupted();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code === null || !okExitCodes.includes(code)) throw new Error(`${command} ${args[0]} exited ${code}: ${stderr.trim().slice(-500)}`);
  const cpuSeconds = ((procStat('self')?.childTicks ?? 0) - childTicksBefore) / CLK_TCK;
  return { cpuSeconds, seconds, cpuPct: Math.round((1000 * cpuSeconds) / seconds) / 10 };
}
