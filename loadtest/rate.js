// k6 entry point: SCENARIO=closed|open|capacity k6 run loadtest/rate.js
// Settings come from env (BASE_URL, RATE, DURATION, WINDOWS, VUS, ...), defaults from scenarios.json.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { drained } from './lib/capacity.js';
import { buildOptions, capacityReport, rateChecks, rateRequest, settings, subjectsOf } from './lib/scenarios.js';

const definitions = JSON.parse(open('./scenarios.json'));
const s = settings(__ENV, definitions);
export const options = buildOptions(s);

const byReplica = new Counter('responses_by_replica');
const accepted = new Counter('accepted_ratings');
const aggregated = new Counter('aggregated_ratings');

/** The aggregate stops moving for idleMs (consumer caught up), or timeoutMs passes. */
const DRAIN = { idleMs: 10000, timeoutMs: 120000 };

function aggregateTotal(subjects) {
  let total = 0;
  for (const subject of subjects) {
    const response = http.get(`${s.baseUrl}/rate?subject=${subject}`, { tags: { name: 'GET /rate (integrity)' } });
    if (response.status === 200) total += Number(response.json('count'));
  }
  return total;
}

export function setup() {
  const ready = http.get(`${s.baseUrl}/health/ready`);
  if (ready.status !== 200) fail(`${s.baseUrl}/health/ready answered ${ready.status}: is the service up?`);
  // One prefix per run (chosen once, here, not per VU), so the integrity check starts from zero.
  const prefix = s.subjectPrefix || `k6-${Date.now()}`;
  return { prefix, before: s.integrity ? aggregateTotal(subjectsOf(s, prefix)) : 0 };
}

export function rate(data) {
  const request = rateRequest(s, data.prefix, exec.scenario.iterationInTest);
  const response = http.post(request.url, null, { tags: { name: 'POST /rate' } });
  byReplica.add(1, { replica: response.headers['X-Replica'] || 'none' });
  if (response.status === 202) accepted.add(1);
  check(response, rateChecks(request));
}

/** Integrity after drain, through the API: every accepted rating must show up in the aggregate once. */
export function teardown(data) {
  if (!s.integrity) return;
  const subjects = subjectsOf(s, data.prefix);
  const samples = [];
  do {
    if (samples.length) sleep(0.25);
    samples.push({ atMs: Date.now(), total: aggregateTotal(subjects) - data.before });
    // The accepted count is a metric, not known here: a total that stopped moving ends the wait.
  } while (!drained(samples, Infinity, 0, DRAIN.idleMs, DRAIN.timeoutMs));
  aggregated.add(samples[samples.length - 1].total);
}

export function handleSummary(data) {
  const report = capacityReport(data, s);
  const figures =
    s.scenario === 'capacity'
      ? `capacity ${report.capacity_rps} rps at p99 ≤ ${s.p99Ms} ms, sustainable ${report.sustainable_rps} rps; `
      : '';
  const i = report.integrity;
  const line = `${s.scenario}: ${figures}p50 ${report.p50_ms.toFixed(1)} ms, p99 ${report.p99_ms.toFixed(1)} ms${i ? `; accepted ${i.accepted}, aggregated ${i.aggregated}, lost ${i.lost}, duplicated ${i.duplicated}` : ''}\n`;
  return { [s.summaryFile]: JSON.stringify({ ...data, rate: report }, null, 2), stdout: line };
}
