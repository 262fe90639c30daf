// SCENARIO=rounds: the local experiment's paired rounds for a cluster (DESIGN.md, "The scaling
// figure"). Two Services are the two front doors (ARM_URLS="1=http://rate-one,3=http://rate");
// every round holds each arm at every rate of its ladder (LADDERS="1=100,140;3=300,420") in the
// round's own order from SEED, one constant-arrival-rate scenario per block, tagged with arm,
// round and rate. Pure functions: no k6 imports, so Jest tests them without k6.
import { crossing, pooledCurve, roundOrder } from './slow-share.js';

function pairs(text, name) {
  const result = {};
  for (const part of (text || '').split(/[;,](?=[^=;,]+=)/)) {
    const at = part.indexOf('=');
    if (at <= 0) throw new Error(`${name}=${text} must look like ${name === 'ARM_URLS' ? '1=http://a,3=http://b' : '1=100,140;3=300,420'}`);
    result[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return result;
}

function whole(env, name, fallback) {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} must be a whole number`);
  return value;
}

/** The rounds' settings from env, defaults from scenarios.json's `rounds`. */
export function roundsSettings(env, defs) {
  const urls = pairs(env.ARM_URLS, 'ARM_URLS');
  const ladders = pairs(env.LADDERS, 'LADDERS');
  const arms = Object.keys(urls);
  if (arms.length < 2) throw new Error('ARM_URLS must name two arms (two Services), e.g. 1=http://rate-one,3=http://rate');
  for (const arm of arms) {
    if (!/^https?:\/\/[^/]+$/.test(urls[arm])) throw new Error(`ARM_URLS: ${arm}=${urls[arm]} must be http(s)://host[:port]`);
    if (!ladders[arm]) throw new Error(`LADDERS has no rates for arm ${arm}`);
  }
  const rates = Object.fromEntries(
    arms.map((arm) => {
      const list = ladders[arm].split(',').map(Number);
      if (list.some((r) => !Number.isInteger(r) || r <= 0))
        throw new Error(`LADDERS: arm ${arm} rates ${ladders[arm]} must be whole numbers > 0`);
      return [arm, list];
    }),
  );
  return {
    arms,
    urls,
    ladders: rates,
    rounds: whole(env, 'ROUNDS', defs.rounds.rounds),
    block: whole(env, 'BLOCK', defs.rounds.block_s),
    pause: Number(env.PAUSE || defs.rounds.pause_s),
    seed: whole(env, 'SEED', 1),
    budget: defs.rounds.budget,
  };
}

const blockName = (b) => `r${b.round}-${b.arm}-${b.rate}`;

/** Every block with its start time: the rounds one after another, each in its own order. */
export function roundsSchedule(r) {
  const blocks = r.arms.flatMap((arm) => r.ladders[arm].map((rate) => ({ arm, rate, equalLoad: false })));
  const schedule = [];
  let at = 0;
  for (let round = 1; round <= r.rounds; round++) {
    for (const b of roundOrder(blocks, r.seed, round)) {
      schedule.push({ arm: b.arm, rate: b.rate, round, startTime: at, name: blockName({ ...b, round }) });
      at += r.block + r.pause;
    }
  }
  return schedule;
}

/** k6 options: a scenario per block at its arm's Service; a threshold per block carries its misses. */
export function roundsOptions(r, p99Ms) {
  const scenarios = {};
  const thresholds = { dropped_iterations: ['count==0'] };
  for (const b of roundsSchedule(r)) {
    const vus = Math.max(10, Math.ceil(b.rate * 0.1));
    scenarios[b.name.replace(/-/g, '_')] = {
      executor: 'constant-arrival-rate',
      rate: b.rate,
      timeUnit: '1s',
      duration: `${r.block}s`,
      startTime: `${b.startTime}s`,
      preAllocatedVUs: vus,
      maxVUs: vus * 10,
      exec: 'rate',
      env: { ARM_URL: r.urls[b.arm] },
      tags: { arm: b.arm, round: String(b.round), rate: String(b.rate), block: b.name },
    };
    // Always true: declared so the summary carries the block's misses (over p99Ms, or not a 202).
    thresholds[`missed{block:${b.name}}`] = ['rate>=0'];
  }
  return { scenarios, thresholds, summaryTrendStats: ['avg', 'med', 'p(99)', 'max'], tags: { objective_ms: String(p99Ms) } };
}

/** Capacity per arm and their ratio from k6's summary data, by the local estimator's definition. */
export function roundsReport(data, r) {
  const blocks = roundsSchedule(r).map((b) => {
    const metric = data.metrics[`missed{block:${b.name}}`];
    const values = metric ? metric.values : { passes: 0, fails: 0 };
    return { arm: b.arm, round: b.round, rate: b.rate, requests: values.passes + values.fails, bad: values.passes };
  });
  const arms = Object.fromEntries(
    r.arms.map((arm) => {
      const curve = pooledCurve(blocks.filter((b) => b.arm === arm));
      return [arm, { curve, crossing: crossing(curve, r.budget) }];
    }),
  );
  const [den, num] = [r.arms[0], r.arms[r.arms.length - 1]];
  const c = { num: arms[num].crossing, den: arms[den].crossing };
  const ratio = !c.num.censored && !c.den.censored && c.num.rps && c.den.rps ? c.num.rps / c.den.rps : null;
  const dropped = data.metrics.dropped_iterations ? data.metrics.dropped_iterations.values.count : 0;
  return { blocks, arms, ratio_arms: [num, den], ratio, dropped_iterations: dropped };
}
