import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process the stack started: its pid and kernel start time, so a recycled pid is never signalled. */
export interface ProcessRecord {
  pid: number;
  startTime: string;
  command: string;
}

export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so split after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : fields[19];
  } catch {
    return null;
  }
}

export function readRecord(pidFile: string): ProcessRecord | null {
  try {
    return JSON.parse(readFileSync(pidFile, 'utf8')) as ProcessRecord;
  } catch {
    return null;
  }
}

export function isRunning(record: ProcessRecord | null): record is ProcessRecord {
  return record !== null && processStartTime(record.pid) === record.startTime;
}

export interface StartOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
  cwd: string;
  /** cgroup directory whose procs file the process joins before exec (CPU quota). */
  cgroupProcs?: string;
}

/** Starts a detached process (own process group, output appended to its log) and records it. */
export function startProcess(options: StartOptions): ProcessRecord {
  mkdirSync(dirname(options.logFile), { recursive: true });
  mkdirSync(dirname(options.pidFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  // The shell joins the cgroup and then execs the program, so the program never runs outside it.
  const [command, args] = options.cgroupProcs
    ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', options.cgroupProcs, options.command, ...options.args]]
    : [options.command, options.args];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${options.command}`);
  child.unref();
  const startTime = processStartTime(child.pid);
  if (startTime === null) throw new Error(`${options.command} exited at once; see ${options.logFile}`);
  const record = { pid: child.pid, startTime, command: [options.command, ...options.args].join(' ') };
  writeFileSync(options.pidFile, JSON.stringify(record));
  return record;
}

/**
 * SIGTERM the process group, SIGKILL after the timeout — or as soon as `hopeless` says a clean
 * stop cannot finish any more; forget the record. Returns how it ended.
 */
export async function stopProcess(
  pidFile: string,
  timeoutMs: number,
  hopeless: () => boolean = () => false,
): Promise<'stopped' | 'killed' | 'not running'> {
  const record = readRecord(pidFile);
  if (!isRunning(record)) {
    rmSync(pidFile, { force: true });
    return 'not running';
  }
  signal(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(record)) {
      rmSync(pidFile, { force: true });
      return 'stopped';
    }
    if (Date.now() >= deadline || hopeless()) break;
    await sleep(100);
  }
  signal(record.pid, 'SIGKILL');
  while (isRunning(record)) await sleep(50);
  rmSync(pidFile, { force: true });
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
      return;
    } catch {
      // not a group leader any more, or already gone: try the pid itself
    }
  }
}

export function removeIfExists(path: string): void {
  if (existsSync(path)) rmSync(path, { recursive: true, force: true });
}
