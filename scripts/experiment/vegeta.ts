import { spawn, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ProcessCpuSampler } from './process-cpu';

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
export function writeTargets(file: string, baseUrl: string, subjects: string[]): { rates: number[]; subjects: string[] } {
  const lines: string[] = [];
  const rates: number[] = [];
  const order: string[] = [];
  for (let i = 0; i < subjects.length * 10; i++) {
    const subject = subjects[i % subjects.length];
    const rate = (i % 10) + 1;
    lines.push(`POST ${baseUrl}/rate?rate=${rate}&subject=${subject}`, '');
    rates.push(rate);
    order.push(subject);
  }
  writeFileSync(file, lines.join('\n'));
  return { rates, subjects: order };
}

/** Open model: vegeta offers `rate` req/s for `seconds`, whatever the latency (no coordinated omission). */
export async function attack(vegeta: string, targets: string, rate: number, seconds: number, output: string): Promise<AttackResult> {
  const child = spawn(vegeta, ['attack', `-targets=${targets}`, `-rate=${rate}/1s`, `-duration=${seconds}s`, '-timeout=10s', `-output=${output}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const sampler = new ProcessCpuSampler(child.pid!);
  const started = process.hrtime.bigint();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const cpu = sampler.stop();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`vegeta attack exited ${code}: ${stderr.trim()}`);
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
    generatorCpuPct: Math.round((1000 * cpu) / elapsed) / 10,
  };
}
