// k6 entry point: SCENARIO=closed|open|capacity|rounds k6 run loadtest/rate.js
// Settings come from env (BASE_URL, RATE, DURATION, WINDOWS, VUS, ...; for rounds ARM_URLS, LADDERS,
// ROUNDS, BLOCK, SEED), defaults from scenarios.json.
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate } from 'k6/metrics';
import { drained, integrity } from './lib/capacity.js';
import { roundsOptions, roundsReport, roundsSettings } from './lib/rounds.js';
import { buildOptions, capacityReport, rateChecks, rateRequest, settings, subjectsOf } from './lib/scenarios.js';

const definitions = JSON.parse(open('./scenarios.json'));
const s = settings(__ENV, definitions);
const r = s.scenario === 'rounds' ? roundsSettings(__ENV, definitions) : null;
export const options = r ? roundsOptions(r, s.p99Ms) : buildOptions(s);

const byReplica = new Counter('responses_by_replica');
const accepted = new Counter('accepted_ratings');
const aggregated = new Counter('aggregated_ratings');
/** Over the latency objective or not accepted: what the rounds' estimator pools per block. */
const missed = new Rate('missed');

/** The aggregate stops moving for idleMs (consumer caught up), or timeoutMs passes. */
const DRAIN = { idleMs: 10000, timeoutMs: 120000 };

function aggregateTotal(subjects) {
  let total = 0;
  for (const subject of subjects) {
    const response = http.get(`${r ? Object.values(r.urls)[0] : s.baseUrl}/rate?subject=${subject}`, {
      tags: { name: 'GET /rate (integrity)' },
    });
    if (response.status === 200) total += Number(response.json('count'));
  }
  return total;
}

export function setup() {
  for (const url of r ? Object.values(r.urls) : [s.baseUrl]) {
    const ready = http.get(`${url}/health/ready`);
    if (ready.status !== 200) fail(`${url}/health/ready answered ${ready.status}: is the service up?`);
  }
  // One prefix per run (chosen once, here, not per VU), so the integrity check starts from zero.
  const prefix = s.subjectPrefix || `k6-${Date.now()}`;
  return { prefix, before: s.integrity ? aggregateTotal(subjectsOf(s, prefix)) : 0 };
}

export function rate(data) {
  // In the rounds each block's scenario names its arm's Service.
  const request = rateRequest(__ENV.ARM_URL ? { ...s, baseUrl: __ENV.ARM_URL } : s, data.prefix, exec.scenario.iterationInTest);
  const response = http.post(request.url, null, { tags: { name: 'POST /rate' } });
  missed.add(response.status !== 202 || response.timings.duration > s.p99Ms);
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
  if (r) {
    const rounds = roundsReport(data, r);
    const [num, den] = rounds.ratio_arms;
    const figure = (arm) =>
      rounds.arms[arm].crossing.censored
        ? `outside the ladder (${rounds.arms[arm].crossing.censored})`
        : `${Math.round(rounds.arms[arm].crossing.rps)} rps`;
    const count = (name) => (data.metrics[name] ? data.metrics[name].values.count : 0);
    const audit = integrity(count('accepted_ratings'), count('aggregated_ratings'));
    const line = `rounds: C(${num}) ${figure(num)}, C(${den}) ${figure(den)}, R ${rounds.ratio === null ? 'not given' : rounds.ratio.toFixed(2)}; dropped iterations ${rounds.dropped_iterations}; accepted ${audit.accepted}, aggregated ${audit.aggregated}, lost ${audit.lost}, duplicated ${audit.duplicated}\n`;
    return { [s.summaryFile]: JSON.stringify({ ...data, rounds: { ...rounds, integrity: audit } }, null, 2), stdout: line };
  }
  const report = capacityReport(data, s);
  const figures =
    s.scenario === 'capacity'
      ? `capacity ${report.capacity_rps} rps at p99 ≤ ${s.p99Ms} ms, sustainable ${report.sustainable_rps} rps; `
      : '';
  const i = report.integrity;
  const line = `${s.scenario}: ${figures}p50 ${report.p50_ms.toFixed(1)} ms, p99 ${report.p99_ms.toFixed(1)} ms${i ? `; accepted ${i.accepted}, aggregated ${i.aggregated}, lost ${i.lost}, duplicated ${i.duplicated}` : ''}\n`;
  return { [s.summaryFile]: JSON.stringify({ ...data, rate: report }, null, 2), stdout: line };
}
