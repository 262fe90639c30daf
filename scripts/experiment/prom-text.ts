/** Just enough of the Prometheus text format to read a replica's GC and produce-ack histograms. */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePromText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** A histogram summed over its other labels: how many observations, how many above `le`, their sum. */
export interface HistogramReading {
  count: number;
  above: number;
  sum: number;
}

export function histogramAbove(samples: Sample[], name: string, le: number): HistogramReading {
  const total = (suffix: string, keep: (s: Sample) => boolean = () => true) =>
    samples.filter((s) => s.name === `${name}${suffix}` && keep(s)).reduce((sum, s) => sum + s.value, 0);
  const count = total('_count');
  const atOrBelow = total('_bucket', (s) => s.labels.le !== undefined && Number(s.labels.le) === le);
  return { count, above: count - atOrBelow, sum: total('_sum') };
}

/** The difference between two readings of the same histogram (a window's observations). */
export function histogramDelta(before: HistogramReading, after: HistogramReading): HistogramReading {
  return { count: after.count - before.count, above: after.above - before.above, sum: after.sum - before.sum };
}
