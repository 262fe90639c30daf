// Scenario logic shared by the k6 entry point (loadtest/rate.js). Pure functions of the
// environment and the scenario definitions: no k6 imports here, so Jest tests them without k6.

/** Reads a positive number from env, or the default; throws on anything else. */
export function positiveNumber(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} must be a positive number`);
  return value;
}

/** Settings from env (k6's __ENV), defaults from loadtest/scenarios.json. */
export function settings(env, defs) {
  const scenario = env.SCENARIO || 'open';
  if (!['closed', 'open', 'capacity'].includes(scenario)) {
    throw new Error(`SCENARIO=${scenario} must be one of closed, open, capacity`);
  }
  const baseUrl = (env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(baseUrl)) throw new Error(`BASE_URL=${baseUrl} must be http(s)://host[:port]`);
  return {
    scenario,
    baseUrl,
    subjects: positiveNumber(env, 'SUBJECTS', defs.subjects),
    subjectPrefix: env.SUBJECT_PREFIX || 'k6',
    vus: positiveNumber(env, 'VUS', defs.closed.vus),
    rate: positiveNumber(env, 'RATE', defs.open.rate),
    duration: `${positiveNumber(env, 'DURATION', scenario === 'closed' ? defs.closed.duration_s : defs.open.duration_s)}s`,
    startRate: positiveNumber(env, 'START_RATE', defs.capacity.start_rate),
    stepFactor: positiveNumber(env, 'STEP_FACTOR', defs.capacity.step_factor),
    stepDuration: positiveNumber(env, 'STEP_DURATION', defs.capacity.step_duration_s),
    maxRate: positiveNumber(env, 'MAX_RATE', defs.capacity.max_rate),
    p99Ms: positiveNumber(env, 'P99_MS', defs.objective.p99_ms),
    maxErrorRate: positiveNumber(env, 'MAX_ERROR_RATE', defs.objective.max_error_rate),
    summaryFile: env.SUMMARY_FILE || 'summary.json',
  };
}

/** The offered rates of a capacity search: start, start*factor, ... up to maxRate. */
export function capacityRates(startRate, stepFactor, maxRate) {
  if (stepFactor <= 1) throw new Error(`STEP_FACTOR=${stepFactor} must be above 1`);
  const rates = [];
  for (let rate = startRate; rate <= maxRate; rate *= stepFactor) rates.push(Math.round(rate));
  return rates;
}

/** k6 options: one named scenario, thresholds on errors and p95/p99 at the objective. */
export function buildOptions(s) {
  const vusFor = (rate) => Math.max(10, Math.ceil(rate * 0.1));
  let scenario;
  if (s.scenario === 'closed') {
    // The original exercise: a fixed number of users sending back to back (wrk -c5).
    scenario = { executor: 'constant-vus', vus: s.vus, duration: s.duration };
  } else if (s.scenario === 'open') {
    scenario = { executor: 'constant-arrival-rate', rate: s.rate, timeUnit: '1s', duration: s.duration, preAllocatedVUs: vusFor(s.rate), maxVUs: vusFor(s.rate) * 10 };
  } else {
    const rates = capacityRates(s.startRate, s.stepFactor, s.maxRate);
    scenario = {
      executor: 'ramping-arrival-rate',
      startRate: rates[0],
      timeUnit: '1s',
      preAllocatedVUs: vusFor(rates[0]),
      maxVUs: vusFor(rates[rates.length - 1]) * 10,
      stages: rates.map((target) => ({ target, duration: `${s.stepDuration}s` })),
    };
  }
  // The capacity search stops itself when the objective breaks; its last passing stage is the capacity.
  const abort = s.scenario === 'capacity' ? { abortOnFail: true, delayAbortEval: `${s.stepDuration}s` } : {};
  return {
    scenarios: { [s.scenario]: { ...scenario, exec: 'rate' } },
    thresholds: {
      http_req_failed: [{ threshold: `rate<${s.maxErrorRate}`, ...abort }],
      'http_req_duration{expected_response:true}': [`p(95)<${s.p99Ms}`, { threshold: `p(99)<${s.p99Ms}`, ...abort }],
      checks: [`rate>${1 - s.maxErrorRate}`],
    },
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    discardResponseBodies: false,
  };
}

/** The i-th request: a rating 1..10 on one of the subjects, seed-compatible query form. */
export function rateRequest(s, i) {
  const subject = `${s.subjectPrefix}-${i % s.subjects}`;
  const rate = (i % 10) + 1;
  return { method: 'POST', url: `${s.baseUrl}/rate?rate=${rate}&subject=${subject}`, subject, rate };
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
    'x-replica header present': (r) => Boolean(r.headers['X-Replica']),
  };
}
