import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';
import { runGenerator } from './process-cpu';
import { AttackResult } from './vegeta';

/** The parts of k6's handleSummary data that the experiment reads. */
interface K6Summary {
  metrics: {
    http_reqs: { values: { count: number; rate: number } };
    http_req_failed: { values: { rate: number } };
    http_req_duration: { values: Record<string, number> };
  };
  root_group: { checks: { name: string; passes: number; fails: number }[] | Record<string, { name: string; passes: number; fails: number }> };
}

/** Turns k6's summary into the same result the vegeta driver gives. */
export function resultFromK6Summary(summary: K6Summary, offered: number, generatorCpuPct: number): AttackResult {
  const d = summary.metrics.http_req_duration.values;
  const checks = Array.isArray(summary.root_group.checks) ? summary.root_group.checks : Object.values(summary.root_group.checks);
  const accepted = checks.find((c) => c.name === 'status is 202')?.passes ?? 0;
  const requests = summary.metrics.http_reqs.values.count;
  return {
    offered,
    sentRate: summary.metrics.http_reqs.values.rate,
    requests,
    statusCodes: { '202': accepted, other: requests - accepted },
    p50Ms: d.med,
    p90Ms: d['p(90)'],
    p99Ms: d['p(99)'],
    maxMs: d.max,
    errorRate: summary.metrics.http_req_failed.values.rate,
    generatorCpuPct,
  };
}

/** The open scenario of loadtest/rate.js at one offered rate: what k6 users get instead of vegeta. */
export async function attackK6(k6: string, baseUrl: string, subjectPrefix: string, subjects: number, rate: number, seconds: number, summaryFile: string): Promise<AttackResult> {
  const env = {
    ...process.env,
    BASE_URL: baseUrl,
    SCENARIO: 'open',
    RATE: String(rate),
    DURATION: String(seconds),
    SUBJECT_PREFIX: subjectPrefix,
    SUBJECTS: String(subjects),
    SUMMARY_FILE: summaryFile,
  };
  const generatorCpuPct = await runGenerator(k6, ['run', '--quiet', '--no-thresholds', join(ROOT, 'loadtest', 'rate.js')], env);
  return resultFromK6Summary(JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary, rate, generatorCpuPct);
}
