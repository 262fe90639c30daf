// The scaling figure's estimator of the local experiment (scripts/experiment/slow-share.ts and
// round-plan.ts), for k6: pure functions, no k6 imports, so Jest holds both implementations to the
// same cases (loadtest/lib/slow-share.spec.ts).
//
// At each offered rate, the share of requests over the objective or not accepted, pooled over the
// rounds and made non-decreasing in rate; capacity is where it crosses the budget, interpolated.

/** Weighted pool-adjacent-violators: a share that dips with more load is noise. */
function nonDecreasing(values, weights) {
  const pools = [];
  values.forEach((value, i) => {
    pools.push({ value, weight: weights[i], size: 1 });
    while (pools.length > 1 && pools[pools.length - 2].value > pools[pools.length - 1].value) {
      const b = pools.pop();
      const a = pools.pop();
      const weight = a.weight + b.weight;
      pools.push({ value: weight > 0 ? (a.value * a.weight + b.value * b.weight) / weight : a.value, weight, size: a.size + b.size });
    }
  });
  const fitted = [];
  for (const p of pools) for (let i = 0; i < p.size; i++) fitted.push(p.value);
  return fitted;
}

/** blocks: [{ rate, requests, bad }] of one arm → [{ rate, requests, bad, share, fitted }] in rate order. */
export function pooledCurve(blocks) {
  const byRate = new Map();
  for (const b of blocks) {
    const point = byRate.get(b.rate) || { requests: 0, bad: 0 };
    point.requests += b.requests;
    point.bad += b.bad;
    byRate.set(b.rate, point);
  }
  const points = [...byRate.entries()].sort((a, b) => a[0] - b[0]).filter(([, p]) => p.requests > 0);
  const shares = points.map(([, p]) => p.bad / p.requests);
  const fitted = nonDecreasing(
    shares,
    points.map(([, p]) => p.requests),
  );
  return points.map(([rate, p], i) => ({ rate, requests: p.requests, bad: p.bad, share: shares[i], fitted: fitted[i] }));
}

/** { rps, censored }: censored 'below' (over budget everywhere) or 'above' (under it everywhere, rps a lower bound). */
export function crossing(curve, budget) {
  if (curve.length === 0) return { rps: null, censored: null };
  const first = curve.findIndex((p) => p.fitted > budget);
  if (first === 0) return { rps: null, censored: 'below' };
  if (first === -1) return { rps: curve[curve.length - 1].rate, censored: 'above' };
  const a = curve[first - 1];
  const b = curve[first];
  return { rps: a.rate + ((budget - a.fitted) / (b.fitted - a.fitted)) * (b.rate - a.rate), censored: null };
}

/** mulberry32, as scripts/experiment/statistics.ts seeds it. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The blocks of a round in the round's own order, drawn from the run's seed (Fisher–Yates). */
export function roundOrder(blocks, seed, round) {
  const random = seededRandom(seed * 1000 + round);
  const order = [...blocks];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
