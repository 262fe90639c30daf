import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { runGenerator } from './process-cpu';

const exec = promisify(execFile);

export interface AttackResult {
  offered: number;
  /** Requests per second the generator really sent. */
  sentRate: number;
  requests: number;
  statusCodes: Record<string, number>;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errorRate: number;
  /** CPU of the generator in % of one core. */
  generatorCpuPct: number;
}

/** vegeta's targets format: the same POST, cycling over ratings 1..10 and the given subjects. */
export function writeTargets(file: string, baseUrl: string, subjects: string[]): void {
  const lines: string[] = [];
  for (let i = 0; i < subjects.length * 10; i++) {
    lines.push(`POST ${baseUrl}/rate?rate=${(i % 10) + 1}&subject=${subjects[i % subjects.length]}`, '');
  }
  writeFileSync(file, lines.join('\n'));
}

/** Open model: vegeta offers `rate` req/s for `seconds`, whatever the latency (no coordinated omission). */
export async function attack(vegeta: string, targets: string, rate: number, seconds: number, output: string): Promise<AttackResult> {
  const generatorCpuPct = await runGenerator(vegeta, ['attack', `-targets=${targets}`, `-rate=${rate}/1s`, `-duration=${seconds}s`, '-timeout=10s', `-output=${output}`]);
  const { stdout } = await exec(vegeta, ['report', '-type=json', output], { maxBuffer: 64 * 1024 * 1024 });
  const report = JSON.parse(stdout) as {
    latencies: Record<string, number>;
    requests: number;
    rate: number;
    success: number;
    status_codes: Record<string, number>;
  };
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return {
    offered: rate,
    sentRate: report.rate,
    requests: report.requests,
    statusCodes: report.status_codes ?? {},
    p50Ms: ms(report.latencies['50th']),
    p90Ms: ms(report.latencies['90th']),
    p99Ms: ms(report.latencies['99th']),
    maxMs: ms(report.latencies.max),
    errorRate: report.requests === 0 ? 1 : 1 - report.success,
    generatorCpuPct,
  };
}
