/** Order statistics and resampling for the experiment's figures (pure; the random source is injected). */

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Quantile with linear interpolation between order statistics (type 7, as R and numpy default). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Interquartile range as [first quartile, third quartile]. */
export function interquartileRange(values: number[]): [number, number] {
  return [quantile(values, 0.25), quantile(values, 0.75)];
}

/** Coefficient of variation: sample standard deviation over the mean (0 for fewer than two values). */
export function coefficientOfVariation(values: number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return 0;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / mean;
}

/** A small seeded generator (mulberry32): the same run gives the same interval when re-rendered. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resample(values: number[], random: () => number): number[] {
  return values.map(() => values[Math.floor(random() * values.length)]);
}

/**
 * Percentile bootstrap interval for median(numerator) / median(denominator), resampling each
 * group's repeats independently. Null when a group is empty or a resampled denominator is 0.
 */
export function bootstrapRatioInterval(
  numerator: number[],
  denominator: number[],
  options: { resamples?: number; confidence?: number; random?: () => number } = {},
): [number, number] | null {
  if (numerator.length === 0 || denominator.length === 0) return null;
  const resamples = options.resamples ?? 4000;
  const confidence = options.confidence ?? 0.95;
  const random = options.random ?? seededRandom(1);
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const low = median(resample(denominator, random));
    if (low <= 0) return null;
    ratios.push(median(resample(numerator, random)) / low);
  }
  const tail = (1 - confidence) / 2;
  return [quantile(ratios, tail), quantile(ratios, 1 - tail)];
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
