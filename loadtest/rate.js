// k6 entry point: SCENARIO=closed|open|capacity k6 run loadtest/rate.js
// Settings come from env (BASE_URL, RATE, DURATION, VUS, ...), defaults from scenarios.json.
import http from 'k6/http';
import { check, fail } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { buildOptions, rateChecks, rateRequest, settings } from './lib/scenarios.js';

const definitions = JSON.parse(open('./scenarios.json'));
const s = settings(__ENV, definitions);
export const options = buildOptions(s);

const byReplica = new Counter('responses_by_replica');

export function setup() {
  const ready = http.get(`${s.baseUrl}/health/ready`);
  if (ready.status !== 200) fail(`${s.baseUrl}/health/ready answered ${ready.status}: is the service up?`);
  return { startedAt: Date.now() };
}

export function rate() {
  const request = rateRequest(s, exec.scenario.iterationInTest);
  const response = http.post(request.url, null, { tags: { name: 'POST /rate' } });
  byReplica.add(1, { replica: response.headers['X-Replica'] || 'none' });
  check(response, rateChecks(request));
}

export function handleSummary(data) {
  const d = data.metrics.http_req_duration.values;
  const line = `${s.scenario}: ${data.metrics.http_reqs.values.rate.toFixed(1)} req/s, p50 ${d.med.toFixed(1)} ms, p99 ${d['p(99)'].toFixed(1)} ms, failed ${(100 * data.metrics.http_req_failed.values.rate).toFixed(2)} %\n`;
  return { [s.summaryFile]: JSON.stringify(data, null, 2), stdout: line };
}
