import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { GeneratorRun, runGenerator } from './process-cpu';
import { parseVegetaJsonLines, RequestRecord, stepStats, StepStats } from './request-log';

const exec = promisify(execFile);

/** One held step as a load generator ran it. */
export interface DriverRun {
  stats: StepStats;
  /** Every request (when the generator gives them): what the stall analysis reads. */
  records: RequestRecord[] | null;
  generator: GeneratorRun;
}

/** Offers `rate` req/s for `seconds`, judged in `windows` windows; `raw` names the raw result file. */
export type Driver = (rate: number, seconds: number, windows: number, raw: string, onSpawn: (pid: number) => void) => Promise<DriverRun>;

/** vegeta's targets format: the same POST, cycling over ratings 1..10 and the given subjects. */
export function writeTargets(file: string, baseUrl: string, subjects: string[]): void {
  const lines: string[] = [];
  for (let i = 0; i < subjects.length * 10; i++) {
    lines.push(`POST ${baseUrl}/rate?rate=${(i % 10) + 1}&subject=${subjects[i % subjects.length]}`, '');
  }
  writeFileSync(file, lines.join('\n'));
}

/** Open model: vegeta offers the rate on a clock, whatever the latency (no coordinated omission). */
export function vegetaDriver(vegeta: string, targets: string): Driver {
  return async (rate, seconds, windows, raw, onSpawn) => {
    const output = `${raw}.bin`;
    const generator = await runGenerator(
      vegeta,
      ['attack', `-targets=${targets}`, `-rate=${rate}/1s`, `-duration=${seconds}s`, '-timeout=10s', `-output=${output}`],
      process.env,
      onSpawn,
    );
    // Decoding runs inside the step's window: its CPU is the generator's, not outside load.
    const encoding = exec(vegeta, ['encode', '--to', 'json', output], { maxBuffer: 1024 * 1024 * 1024 });
    if (encoding.child.pid) onSpawn(encoding.child.pid);
    const { stdout } = await encoding;
    const records = parseVegetaJsonLines(stdout);
    return { stats: stepStats(records, seconds, windows), records, generator };
  };
}
