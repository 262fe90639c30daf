import { coefficientOfVariation, quantile, seededRandom } from './statistics';

/**
 * The scaling figure's estimator (DESIGN.md, "The scaling figure"). At each offered rate the share
 * of requests that missed the objective (slower than it, or not accepted), pooled over the clean
 * rounds; capacity is where that pooled share crosses the budget, interpolated between the rates
 * measured. A stall counts for the requests it delayed, never for a whole step. Intervals come from
 * resampling whole rounds: requests caught in one stall are not independent of each other.
 * loadtest/lib/slow-share.js is the same definition for k6 (slow-share.spec.ts holds both to it).
 */

/** One block: an arm held at one rate in one round. */
export interface BlockCount {
  arm: string;
  round: number;
  rate: number;
  requests: number;
  /** Requests over the latency objective or not accepted. */
  bad: number;
}

export interface CurvePoint {
  rate: number;
  requests: number;
  bad: number;
  /** bad / requests, as measured. */
  share: number;
  /** The share made non-decreasing in rate (pooled adjacent violators, weighted by requests). */
  fitted: number;
}

/** Null rps: the share was over the budget already at the lowest rate (capacity below the ladder). */
export interface Crossing {
  rps: number | null;
  /** 'below': over budget at every rate; 'above': under it at every rate (rps is a lower bound). */
  censored: 'below' | 'above' | null;
}

/** Weighted isotonic regression (pool adjacent violators): a share that dips with more load is noise. */
function nonDecreasing(values: number[], weights: number[]): number[] {
  const pools: { value: number; weight: number; size: number }[] = [];
  values.forEach((value, i) => {
    pools.push({ value, weight: weights[i], size: 1 });
    while (pools.length > 1 && pools[pools.length - 2].value > pools[pools.length - 1].value) {
      const b = pools.pop()!;
      const a = pools.pop()!;
      const weight = a.weight + b.weight;
      pools.push({ value: weight > 0 ? (a.value * a.weight + b.value * b.weight) / weight : a.value, weight, size: a.size + b.size });
    }
  });
  return pools.flatMap((p) => Array<number>(p.size).fill(p.value));
}

/** The pooled curve of one arm over the given blocks, in rate order. */
export function pooledCurve(blocks: BlockCount[]): CurvePoint[] {
  const byRate = new Map<number, { requests: number; bad: number }>();
  for (const b of blocks) {
    const point = byRate.get(b.rate) ?? { requests: 0, bad: 0 };
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

/** Where the fitted share first exceeds the budget, linearly interpolated from the rate before. */
export function crossing(curve: CurvePoint[], budget: number): Crossing {
  if (curve.length === 0) return { rps: null, censored: null };
  const first = curve.findIndex((p) => p.fitted > budget);
  if (first === 0) return { rps: null, censored: 'below' };
  if (first === -1) return { rps: curve[curve.length - 1].rate, censored: 'above' };
  const a = curve[first - 1];
  const b = curve[first];
  return { rps: a.rate + ((budget - a.fitted) / (b.fitted - a.fitted)) * (b.rate - a.rate), censored: null };
}

export interface ArmEstimate {
  curve: CurvePoint[];
  crossing: Crossing;
  /** 95 % bootstrap interval over rounds; null when too few resamples crossed inside the ladder. */
  interval: [number, number] | null;
  /** Spread of the resampled capacities: standard deviation / mean. */
  cv: number | null;
}

export interface PairedEstimate {
  arms: Record<string, ArmEstimate>;
  /** C(numerator arm) / C(denominator arm), null when either is censored. */
  ratio: number | null;
  ratioInterval: [number, number] | null;
  rounds: number[];
  /** Share of resamples in which an arm's crossing left the ladder. */
  censoredResamples: number;
}

const RESAMPLES = 2000;
/** More censored resamples than this and the interval is not given: the ladder missed the crossing. */
const MAX_CENSORED = 0.05;

const percentileInterval = (values: number[]): [number, number] => [quantile(values, 0.025), quantile(values, 0.975)];

/**
 * Both arms' capacities and their ratio from paired rounds: a resample draws whole rounds (with
 * replacement) and takes both arms' blocks of each, so what drifted during a round moves both.
 */
export function pairedEstimate(
  blocks: BlockCount[],
  numerator: string,
  denominator: string,
  budget: number,
  seed = 1,
  resamples = RESAMPLES,
): PairedEstimate {
  const rounds = [...new Set(blocks.map((b) => b.round))].sort((a, b) => a - b);
  const byRound = new Map(rounds.map((r) => [r, blocks.filter((b) => b.round === r)]));
  const armsOf = (chosen: BlockCount[]) => ({
    num: crossing(pooledCurve(chosen.filter((b) => b.arm === numerator)), budget),
    den: crossing(pooledCurve(chosen.filter((b) => b.arm === denominator)), budget),
  });
  const random = seededRandom(seed);
  const samples = { num: [] as number[], den: [] as number[], ratio: [] as number[] };
  let censored = 0;
  for (let i = 0; i < resamples && rounds.length > 1; i++) {
    const chosen = rounds.flatMap(() => byRound.get(rounds[Math.floor(random() * rounds.length)])!);
    const { num, den } = armsOf(chosen);
    if (num.censored || den.censored || !num.rps || !den.rps) {
      censored++;
      continue;
    }
    samples.num.push(num.rps);
    samples.den.push(den.rps);
    samples.ratio.push(num.rps / den.rps);
  }
  const usable = resamples > 0 && rounds.length > 1 && censored / resamples <= MAX_CENSORED;
  const arm = (name: string, values: number[]): ArmEstimate => {
    const curve = pooledCurve(blocks.filter((b) => b.arm === name));
    return {
      curve,
      crossing: crossing(curve, budget),
      interval: usable ? percentileInterval(values) : null,
      cv: usable ? coefficientOfVariation(values) : null,
    };
  };
  const arms = { [denominator]: arm(denominator, samples.den), [numerator]: arm(numerator, samples.num) };
  const c = { num: arms[numerator].crossing, den: arms[denominator].crossing };
  const ratio = !c.num.censored && !c.den.censored && c.num.rps && c.den.rps ? c.num.rps / c.den.rps : null;
  return {
    arms,
    ratio,
    ratioInterval: usable && ratio !== null ? percentileInterval(samples.ratio) : null,
    rounds,
    censoredResamples: resamples > 0 ? censored / resamples : 0,
  };
}
