import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function stat(pid: number): { cpu: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of a process and all its descendants (nginx workers, JVM threads are in the process). */
export function treeCpuSeconds(root: number): number {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s) continue;
    parents.set(s.ppid, [...(parents.get(s.ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    total += stat(pid)?.cpu ?? 0;
    queue.push(...(parents.get(pid) ?? []));
  }
  return total;
}

/** CPU use of named processes over a window, in % of one core. */
export class CpuWindow {
  private readonly start = new Map<string, number>();
  private readonly startedAt = process.hrtime.bigint();

  constructor(private readonly pids: Map<string, number>) {
    for (const [name, pid] of pids) this.start.set(name, treeCpuSeconds(pid));
  }

  finish(): Record<string, number> {
    const seconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const result: Record<string, number> = {};
    for (const [name, pid] of this.pids) {
      result[name] = Math.round((1000 * (treeCpuSeconds(pid) - (this.start.get(name) ?? 0))) / seconds) / 10;
    }
    return result;
  }
}

/** Samples a short-lived process's CPU until it exits: the last sample is its total. */
export class ProcessCpuSampler {
  private last = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => {
      const s = stat(this.pid);
      if (s) this.last = s.cpu;
    }, 200);
  }

  stop(): number {
    clearInterval(this.timer);
    return this.last;
  }
}

/**
 * Runs a load generator to completion, sampling its CPU while it runs. Returns its CPU use in %
 * of one core; throws with the tail of its stderr when it exits non-zero.
 */
export async function runGenerator(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const sampler = new ProcessCpuSampler(child.pid!);
  const started = process.hrtime.bigint();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const cpu = sampler.stop();
  if (code !== 0) throw new Error(`${command} ${args[0]} exited ${code}: ${stderr.trim().slice(-500)}`);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round((1000 * cpu) / elapsed) / 10;
}
