import type { ChildProcess } from 'node:child_process';

/** Where a run stops after SIGINT/SIGTERM; the run's own catch then writes the report of what it measured. */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
let received: NodeJS.Signals | null = null;
const generators = new Set<ChildProcess>();

/**
 * From here on SIGINT and SIGTERM end the run at the step in flight instead of killing the
 * process: an hour-long run keeps its report and stops the stack it started. A second signal
 * exits at once.
 */
export function watchInterrupts(log: (line: string) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (received) {
        log(`${signal} again: exiting now; processes the run started may still be up (npm run stack:down stops the stack)`);
        process.exit(EXIT_CODES[signal]);
      }
      received = signal;
      log(
        `${signal}: stopping the load generator; the stack is stopped and the report of what was measured written next (${signal} again exits at once)`,
      );
      for (const child of generators) child.kill('SIGTERM');
    });
  }
}

export function throwIfInterrupted(): void {
  if (received) throw new Interrupted(received);
}

/** The exit code a shell gives a process that the signal ended (128 + its number). */
export function interruptedExitCode(error: unknown): number | null {
  return error instanceof Interrupted ? EXIT_CODES[error.signal] : null;
}

/** A load generator that a signal must stop; call the returned function once it has exited. */
export function stopOnInterrupt(child: ChildProcess): () => void {
  generators.add(child);
  return () => generators.delete(child);
}
