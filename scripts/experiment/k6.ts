import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';
import { runGenerator } from './process-cpu';
import { StepStats } from './request-log';
import { Driver } from './vegeta';

type Values = Record<string, number>;

/** The parts of k6's handleSummary data that the experiment reads. */
export interface K6Summary {
  state?: { testRunDurationMs: number };
  metrics: Record<string, { values: Values } | undefined>;
}

/**
 * Turns the summary of one step of loadtest/rate.js (SCENARIO=open, WINDOWS=n) into the same
 * figures the vegeta driver computes: per-window p99 and errors come from the sub-metrics the
 * script's per-window thresholds create ({window:1} … {window:n}).
 */
export function stepStatsFromK6(summary: K6Summary, seconds: number, windows: number): StepStats {
  const metric = (name: string): Values => summary.metrics[name]?.values ?? {};
  const duration = metric('http_req_duration');
  const requests = metric('http_reqs').count ?? 0;
  const accepted = metric('accepted_ratings').count ?? 0;
  const runSeconds = (summary.state?.testRunDurationMs ?? seconds * 1000) / 1000;
  return {
    requests,
    sentRate: requests / seconds,
    throughput: accepted / Math.max(seconds, runSeconds),
    p50Ms: duration.med ?? 0,
    p90Ms: duration['p(90)'] ?? 0,
    p99Ms: duration['p(99)'] ?? 0,
    maxMs: duration.max ?? 0,
    errorRate: requests === 0 ? 1 : (requests - accepted) / requests,
    statusCodes: { '202': accepted, other: requests - accepted },
    windows: Array.from({ length: windows }, (_, i) => {
      const count = metric(`http_reqs{window:${i + 1}}`).count ?? 0;
      return {
        requests: count,
        p99Ms: metric(`http_req_duration{window:${i + 1}}`)['p(99)'] ?? 0,
        errorRate: metric(`http_req_failed{window:${i + 1}}`).rate ?? 0,
      };
    }),
  };
}

/** The open scenario of loadtest/rate.js at one offered rate: what k6 users get instead of vegeta. */
export function k6Driver(k6: string, baseUrl: string, subjectPrefix: string, subjects: number): Driver {
  return async (rate, seconds, windows, raw, onSpawn) => {
    const summaryFile = `${raw}.k6.json`;
    const env = {
      ...process.env,
      BASE_URL: baseUrl,
      SCENARIO: 'open',
      RATE: String(rate),
      DURATION: String(seconds),
      WINDOWS: String(windows),
      // The experiment checks integrity itself, over all its steps.
      INTEGRITY: 'false',
      SUBJECT_PREFIX: subjectPrefix,
      SUBJECTS: String(subjects),
      SUMMARY_FILE: summaryFile,
    };
    // Exit code 99 = thresholds crossed: expected above capacity, the verdict is the experiment's.
    const generator = await runGenerator(k6, ['run', '--quiet', join(ROOT, 'loadtest', 'rate.js')], env, onSpawn, [0, 99]);
    return {
      stats: stepStatsFromK6(JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary, seconds, windows),
      records: null,
      generator,
    };
  };
}
