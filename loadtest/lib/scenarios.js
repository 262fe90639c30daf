// Scenario logic shared by the k6 entry point (loadtest/rate.js). Pure functions of the
// environment and the scenario definitions: no k6 imports here, so Jest tests them without k6.
import { integrity, judgeStep, sweepFigures } from './capacity.js';

/** Reads a positive number from env, or the default; throws on anything else. */
export function positiveNumber(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return value;
}

function nonNegativeNumber(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} must be a number ≥ 0`);
  return value;
}

/** Settings from env (k6's __ENV), defaults from loadtest/scenarios.json. */
export function settings(env, defs) {
  const scenario = env.SCENARIO || 'open';
  if (!['closed', 'open', 'capacity', 'rounds'].includes(scenario)) {
    throw new Error(`SCENARIO=${scenario} must be one of closed, open, capacity, rounds`);
  }
  const baseUrl = (env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(baseUrl)) throw new Error(`BASE_URL=${baseUrl} must be http(s)://host[:port]`);
  const windows = positiveNumber(env, 'WINDOWS', scenario === 'capacity' ? defs.capacity.windows : 1);
  if (!Number.isInteger(windows)) throw new Error(`WINDOWS=${windows} must be a whole number`);
  if (env.INTEGRITY !== undefined && !['true', 'false'].includes(env.INTEGRITY))
    throw new Error(`INTEGRITY=${env.INTEGRITY} must be true or false`);
  return {
    scenario,
    baseUrl,
    subjects: positiveNumber(env, 'SUBJECTS', defs.subjects),
    // Empty: setup() picks a fresh prefix, so the integrity check starts from zero.
    subjectPrefix: env.SUBJECT_PREFIX || '',
    vus: positiveNumber(env, 'VUS', defs.closed.vus),
    rate: positiveNumber(env, 'RATE', defs.open.rate),
    duration: positiveNumber(env, 'DURATION', scenario === 'closed' ? defs.closed.duration_s : defs.open.duration_s),
    windows,
    startRate: positiveNumber(env, 'START_RATE', defs.capacity.start_rate),
    stepFactor: positiveNumber(env, 'STEP_FACTOR', defs.capacity.step_factor),
    stepDuration: positiveNumber(env, 'STEP_DURATION', defs.capacity.step_duration_s),
    pause: nonNegativeNumber(env, 'PAUSE', defs.capacity.pause_s),
    maxRate: positiveNumber(env, 'MAX_RATE', defs.capacity.k6_max_rate),
    p99Ms: positiveNumber(env, 'P99_MS', defs.objective.p99_ms),
    maxErrorRate: positiveNumber(env, 'MAX_ERROR_RATE', defs.objective.max_error_rate),
    tolerance: positiveNumber(env, 'TOLERANCE', defs.sustainable.tolerance),
    integrity: env.INTEGRITY !== 'false',
    summaryFile: env.SUMMARY_FILE || 'summary.json',
  };
}

/** The offered rates of a capacity sweep: start, then ×factor (at least +1/s) up to maxRate, as the local sweep does. */
export function capacityRates(startRate, stepFactor, maxRate) {
  if (stepFactor <= 1) throw new Error(`STEP_FACTOR=${stepFactor} must be above 1`);
  const rates = [];
  for (let rate = Math.round(startRate); rate <= maxRate; rate = Math.max(rate + 1, Math.round(rate * stepFactor))) rates.push(rate);
  return rates;
}

const vusFor = (rate) => Math.max(10, Math.ceil(rate * 0.1));

function arrival(rate, seconds, startTime, tags) {
  return {
    executor: 'constant-arrival-rate',
    rate,
    timeUnit: '1s',
    duration: `${seconds}s`,
    startTime: `${startTime}s`,
    preAllocatedVUs: vusFor(rate),
    maxVUs: vusFor(rate) * 10,
    exec: 'rate',
    tags,
  };
}

/** Sub-metric thresholds of one window: p99 and errors at the objective, and its request count. */
function windowThresholds(s, tag) {
  return {
    [`http_req_duration{${tag}}`]: [`p(99)<${s.p99Ms}`],
    [`http_req_failed{${tag}}`]: [`rate<${s.maxErrorRate}`],
    // Always true: declared so the summary carries the window's request count.
    [`http_reqs{${tag}}`]: ['count>=0'],
  };
}

/** The steps of the capacity scenario: when each rate starts, held for stepDuration, a pause between. */
export function capacitySchedule(s) {
  return capacityRates(s.startRate, s.stepFactor, s.maxRate).map((rate, i) => ({ rate, startTime: i * (s.stepDuration + s.pause) }));
}

/**
 * k6 options. closed: the original (5 VUs back to back); open: a constant arrival rate, split into
 * WINDOWS windows; capacity: the local sweep's steps — each rate held STEP_DURATION seconds in
 * WINDOWS windows, thresholds per step and per window (not over the whole run), no abort.
 */
export function buildOptions(s) {
  const scenarios = {};
  let thresholds = {};
  const overall = {
    http_req_failed: [`rate<${s.maxErrorRate}`],
    'http_req_duration{expected_response:true}': [`p(95)<${s.p99Ms}`, `p(99)<${s.p99Ms}`],
    checks: [`rate>${1 - s.maxErrorRate}`],
  };
  if (s.scenario === 'closed') {
    scenarios.closed = { executor: 'constant-vus', vus: s.vus, duration: `${s.duration}s`, exec: 'rate' };
    thresholds = overall;
  } else if (s.scenario === 'open') {
    thresholds = overall;
    if (s.windows === 1) {
      // One window: the scenario starts at once and carries no window tag.
      const open = arrival(s.rate, s.duration, 0, {});
      delete open.startTime;
      delete open.tags;
      scenarios.open = open;
    } else {
      for (let w = 1; w <= s.windows; w++) {
        scenarios[`open_w${w}`] = arrival(s.rate, s.duration / s.windows, ((w - 1) * s.duration) / s.windows, { window: String(w) });
        Object.assign(thresholds, windowThresholds(s, `window:${w}`));
      }
    }
  } else {
    for (const { rate, startTime } of capacitySchedule(s)) {
      Object.assign(thresholds, {
        [`http_req_duration{step:${rate}}`]: [`p(99)<${s.p99Ms}`],
        [`accepted_ratings{step:${rate}}`]: ['count>=0'],
      });
      for (let w = 1; w <= s.windows; w++) {
        const width = s.stepDuration / s.windows;
        scenarios[`step_${rate}_w${w}`] = arrival(rate, width, startTime + (w - 1) * width, { step: String(rate), window: String(w) });
        Object.assign(thresholds, windowThresholds(s, `step:${rate},window:${w}`));
      }
    }
  }
  return {
    scenarios,
    thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    discardResponseBodies: false,
  };
}

/** The i-th request: a rating 1..10 on one of the subjects, seed-compatible query form. */
export function rateRequest(s, prefix, i) {
  const subject = `${prefix}-${i % s.subjects}`;
  const rate = (i % 10) + 1;
  return { method: 'POST', url: `${s.baseUrl}/rate?rate=${rate}&subject=${subject}`, subject, rate };
}

export function subjectsOf(s, prefix) {
  return Array.from({ length: s.subjects }, (_, i) => `${prefix}-${i}`);
}

/** What a good answer to a rating looks like (DESIGN.md: 202 {"id","subject","rate"}). */
export function rateChecks(request) {
  return {
    'status is 202': (r) => r.status === 202,
    'body echoes the rating': (r) => {
      try {
        const body = JSON.parse(r.body);
        return body.subject === request.subject && body.rate === request.rate && typeof body.id === 'string';
      } catch (e) {
        return false;
      }
    },
  };
}

const value = (data, name, stat) => {
  const metric = data.metrics[name];
  return metric && metric.values[stat] !== undefined ? metric.values[stat] : 0;
};

/** The capacity scenario's steps as the local experiment measures them, from k6's summary data. */
export function stepsFromSummary(data, s) {
  return capacitySchedule(s).map(({ rate }) => {
    const windows = [];
    for (let w = 1; w <= s.windows; w++) {
      const tag = `step:${rate},window:${w}`;
      windows.push({
        requests: value(data, `http_reqs{${tag}}`, 'count'),
        p99Ms: value(data, `http_req_duration{${tag}}`, 'p(99)'),
        errorRate: value(data, `http_req_failed{${tag}}`, 'rate'),
      });
    }
    const requests = windows.reduce((sum, w) => sum + w.requests, 0);
    const accepted = value(data, `accepted_ratings{step:${rate}}`, 'count');
    return {
      offered: rate,
      sentRate: requests / s.stepDuration,
      throughput: accepted / s.stepDuration,
      p50Ms: 0,
      p99Ms: value(data, `http_req_duration{step:${rate}}`, 'p(99)'),
      errorRate: requests === 0 ? 1 : (requests - accepted) / requests,
      windows,
    };
  });
}

/**
 * The report's columns from k6's summary: for the capacity scenario both capacity figures (the
 * local definition, loadtest/lib/capacity.js), and for every scenario the integrity check.
 */
export function capacityReport(data, s) {
  const report = {
    scenario: s.scenario,
    objective: { p99_ms: s.p99Ms, max_error_rate: s.maxErrorRate },
    requests: value(data, 'http_reqs', 'count'),
    p50_ms: value(data, 'http_req_duration', 'med'),
    p99_ms: value(data, 'http_req_duration', 'p(99)'),
    integrity: s.integrity ? integrity(value(data, 'accepted_ratings', 'count'), value(data, 'aggregated_ratings', 'count')) : null,
  };
  if (s.scenario !== 'capacity') return report;
  const objective = { p99Ms: s.p99Ms, maxErrorRate: s.maxErrorRate };
  const steps = stepsFromSummary(data, s).map((step) => ({ ...step, verdict: judgeStep(step, objective, s.tolerance) }));
  const figures = sweepFigures(steps);
  return {
    ...report,
    capacity_rps: figures.capacity.rps,
    capacity: figures.capacity,
    sustainable_rps: figures.sustainable.rps,
    sustainable: figures.sustainable,
    steps,
  };
}
