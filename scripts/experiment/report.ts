import { CapacityRun } from './capacity-measurement';
import { ExperimentMeta, Runs } from './experiment-types';
import { round } from './statistics';
import { StallCause, StallSummary } from './stalls';
import { ReplicaResult, Summary } from './summary';
import { uslThroughput } from './usl';

const CAUSE_TEXT: Record<StallCause, string> = {
  cfs_throttling: 'CFS throttling of the answering replica',
  gc_pause: 'a GC pause over 10 ms',
  broker_ack: 'a Kafka ack slower than 25 ms',
  outside_load: 'outside CPU load',
  unexplained: 'none of these',
};

const range = (iqr: [number, number]) => `${iqr[0]}–${iqr[1]}`;
const cvText = (cv: number) => `CV ${round(cv * 100)} %`;
const waitingText = (r: Pick<ReplicaResult, 'waiting' | 'waiting_reason'>) =>
  r.waiting
    ? ` — **NOT CHECKED**: ${r.waiting} not aggregated while the consumer reported not ready (${r.waiting_reason}); they wait in Kafka, not counted as lost`
    : '';
const list = (m: Record<string, number>, unit = '') =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}${unit}`)
    .join(', ');

/** The one-paragraph verdict: both figures and the baseline, or why no ratio is given. */
export function headline(summary: Summary): string {
  const c = summary.contention;
  const incomplete = summary.stopped_by ? `INCOMPLETE — the run stopped early: ${summary.stopped_by.replace(/\.?$/, '.')}` : null;
  if (c.flagged) {
    return (
      `**${incomplete ? `${incomplete} ` : ''}CONTENDED — no ratio printed: ${c.contended_steps} of ${c.steps} capacity steps stayed over the contention limits after their repeats ` +
      `(outside load up to ${c.outside_cpu_pct_max} % of a core, limit ${c.limits.outside_cpu_pct} %; load generator up to ${c.generator_cpu_pct_max} %, limit ${c.limits.generator_cpu_pct} %). ` +
      'The figures below are for diagnosis only: rerun on a quiet machine.**'
    );
  }
  const one = summary.results['1'];
  const three = summary.results['3'];
  const parts: string[] = incomplete ? [incomplete] : [];
  if (one && three) {
    const ci = (i: [number, number] | null) => (i ? ` (95 % bootstrap interval ${i[0]}–${i[1]})` : '');
    parts.push(
      `3 vs 1 replicas at ${summary.cpu_limit_per_replica}: capacity at p99 ≤ ${summary.objective.p99_ms} ms ×${summary.capacity_ratio_3_vs_1}${ci(summary.capacity_ratio_interval)}, ` +
        `sustainable throughput ×${summary.sustainable_ratio_3_vs_1}${ci(summary.sustainable_ratio_interval)}.`,
    );
  }
  for (const [n, r] of Object.entries(summary.results)) {
    if (n !== '1' && n !== '3') continue;
    parts.push(`${n} replica(s): ${r.capacity_rps} rps at the objective, ${r.sustainable_rps} rps sustainable.`);
  }
  if (summary.baseline && summary.app_vs_baseline) {
    parts.push(
      `Bare Fastify on the same quota: ${summary.baseline.capacity_rps} / ${summary.baseline.sustainable_rps} rps — ` +
        `app/baseline ${summary.app_vs_baseline.capacity ?? 'n/a'} at the objective, ${summary.app_vs_baseline.sustainable ?? 'n/a'} sustainable.`,
    );
  }
  return `**${parts.join(' ')}**`;
}

/** The table printed at the end of the run and at the top of report.md. */
export function headlineTable(summary: Summary): string {
  const rows = Object.entries(summary.results).map(([n, r]) => {
    const closed = `${round(r.closed_model.rps)} rps, p50 ${r.closed_model.p50_ms} ms`;
    return (
      `| ${n} | ${r.capacity_rps} (${range(r.capacity_iqr)}), ${cvText(r.capacity_cv)} | ${r.sustainable_rps} (${range(r.sustainable_iqr)}), ${cvText(r.sustainable_cv)} | ` +
      `${r.p50_ms} / ${r.p99_ms} @ ${r.offered_rps} rps | ${closed} | ${r.accepted} / ${r.aggregated} / ${r.lost}${r.waiting ? ` (+${r.waiting} waiting)` : ''} / ${r.duplicated} |`
    );
  });
  const b = summary.baseline_detail;
  if (b)
    rows.push(
      `| bare Fastify (baseline, 1) | ${b.capacity_rps} (${range(b.capacity_iqr)}), ${cvText(b.capacity_cv)} | ${b.sustainable_rps} (${range(b.sustainable_iqr)}), ${cvText(b.sustainable_cv)} | — | — | — |`,
    );
  const ratio = (value: number | null, interval: [number, number] | null) =>
    summary.contention.flagged
      ? '**withheld (contended run)**'
      : `**${value ?? 'n/a'}**${interval ? ` [${interval[0]}, ${interval[1]}]` : ''}`;
  return [
    headline(summary),
    '',
    `| API replicas (${summary.cpu_limit_per_replica} CPU each) | capacity rps at p99 ≤ ${summary.objective.p99_ms} ms: median (IQR), CV | sustainable rps (served within ${summary.sustainable_tolerance * 100} %): median (IQR), CV | p50 / p99 ms at equal offered load | closed model (wrk -c5, the original) | accepted / aggregated / lost / duplicated |`,
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `capacity ratio 3 vs 1: ${ratio(summary.capacity_ratio_3_vs_1, summary.capacity_ratio_interval)} (per repeat: ${summary.capacity_ratio_3_vs_1_runs.join(', ') || 'n/a'}); ` +
      `sustainable ratio 3 vs 1: ${ratio(summary.sustainable_ratio_3_vs_1, summary.sustainable_ratio_interval)}`,
  ].join('\n');
}

function stallLine(s: StallSummary): string {
  if (s.episodes === 0) return 'no slow requests';
  const causes = (Object.entries(s.byCause) as [StallCause, { episodes: number; requests: number }][])
    .sort((a, b) => b[1].requests - a[1].requests)
    .map(([cause, v]) => `${CAUSE_TEXT[cause]}: ${v.episodes} episode(s), ${v.requests} request(s)`);
  return `${s.slowRequests} slow or failed request(s) in ${s.episodes} episode(s) — ${causes.join('; ')}`;
}

function capacitySection(
  label: string,
  r: Pick<
    ReplicaResult,
    | 'capacity_rps'
    | 'capacity_rps_runs'
    | 'capacity_limited_by'
    | 'sustainable_rps'
    | 'sustainable_rps_runs'
    | 'sustainable_reached'
    | 'cpu_pct_at_capacity'
    | 'throttled_periods_pct'
    | 'stalls'
  >,
): string[] {
  const gap = r.capacity_rps > 0 ? round((100 * (r.sustainable_rps - r.capacity_rps)) / r.capacity_rps) : 0;
  const isolated = r.stalls.isolated_failures.flat();
  return [
    `- **${label}**: ${r.capacity_rps} rps at the objective (runs ${r.capacity_rps_runs.join(', ')}; limited by ${[...new Set(r.capacity_limited_by)].join(', ')}), ` +
      `${r.sustainable_rps} rps sustainable (runs ${r.sustainable_rps_runs.join(', ')}${r.sustainable_reached ? '' : '; not reached in every sweep: a lower bound'}) — ${gap >= 0 ? `${gap} % more` : `${-gap} % less`} throughput than the objective allows. ` +
      `CPU at capacity: ${list(r.cpu_pct_at_capacity, ' %') || 'n/a'}. CFS periods throttled: ${list(r.throttled_periods_pct.atCapacity, ' %') || 'n/a'} at capacity, ${list(r.throttled_periods_pct.atFailure, ' %') || 'n/a'} at the first failing rate.`,
    `  - Tail at or below capacity: ${stallLine(r.stalls.at_or_below_capacity)}. ${isolated.length ? `Isolated failures (a rate that failed while higher ones passed — not taken as the limit): ${isolated.join(', ')} rps.` : 'No isolated failures.'}`,
    ...r.stalls.worst_episodes.map(
      (e) =>
        `  - at ${e.offered} rps: ${e.requests} request(s) up to ${e.maxLatencyMs} ms over ${round(e.endMs - e.startMs, 0)} ms on ${list(e.replicas)} — ${e.causes.map((c) => CAUSE_TEXT[c]).join(', ')}${Object.keys(e.throttledMs).length ? ` (throttled ${list(e.throttledMs, ' ms')})` : ''}`,
    ),
  ];
}

function scalingSection(summary: Summary): string[] {
  const s = summary.scaling;
  const lines: string[] = ['| replicas | capacity rps | per replica | sustainable rps | per replica |', '|---|---|---|---|---|'];
  for (const p of s.points)
    lines.push(
      `| ${p.replicas} | ${p.capacity_rps} | ${round(p.capacity_rps / p.replicas)} | ${p.sustainable_rps} | ${round(p.sustainable_rps / p.replicas)} |`,
    );
  lines.push('');
  const fitText = (name: string, fit: Summary['scaling']['usl_capacity']) => {
    if (!fit) return `- ${name}: no Universal Scalability Law fit — it needs at least three replica counts (\`--replicas 1,2,3,4,6\`).`;
    const peak =
      fit.peakReplicas !== null
        ? `predicted peak ${round(fit.peakRps ?? 0, 0)} rps at ${round(fit.peakReplicas, 1)} replicas`
        : fit.ceilingRps !== null
          ? `no peak; ceiling λ/σ = ${round(fit.ceilingRps, 0)} rps`
          : 'linear: no peak, no ceiling';
    return `- ${name}: λ = ${round(fit.lambda, 1)} rps per replica, σ (contention) = ${round(fit.sigma, 4)}, κ (coherency) = ${round(fit.kappa, 5)}, ${peak}; R² = ${round(fit.r2, 3)}.`;
  };
  lines.push(fitText('Capacity at the objective', s.usl_capacity), fitText('Sustainable throughput', s.usl_sustainable));
  if (s.top) lines.push(`- At the top (${s.top.replicas} replicas, ${s.top.offered_rps} rps) what saturates is ${s.top.verdict}.`);
  return lines;
}

/** The seed's wrk -c5 measurement explained, with this run's closed-model figures. */
function closedModelSection(summary: Summary, replicas: string[]): string[] {
  const lines: string[] = [];
  lines.push('## What the original exercise measured', '');
  lines.push(
    'The exercise ran `wrk -c5 -t5` against 3 replicas behind nginx and saw 4.91 rps at 1.01 s latency for 1 and for 3 replicas. ' +
      'That is a **closed model**: 5 connections, each sending its next request only when the previous one answered. ' +
      "By Little's law the throughput of such a loop is at most connections / latency: 5 / 1.01 s = 4.95 rps — exactly what it measured. " +
      'The loop never offered more than the service could absorb, so more replicas had nothing to absorb: the measurement was bounded by the load generator, not by the service.',
    '',
  );
  for (const n of replicas) {
    const cm = summary.results[n].closed_model;
    if (cm.rps === 0) continue;
    const roundTrip = round((1000 * cm.connections) / cm.rps, 2);
    lines.push(
      `- ${n} replica(s), wrk -c${cm.connections}: ${round(cm.rps)} rps (p50 ${cm.p50_ms} ms, p99 ${cm.p99_ms} ms), so each of the ${cm.connections} connections completed a request every ${roundTrip} ms (Little's law, ${cm.connections} / ${round(cm.rps)} rps): ` +
        `a closed loop's throughput is its connection count over its round trip, whatever the service could take — the open-model capacity below is the real number.`,
    );
  }
  return lines;
}

export function renderMarkdown(summary: Summary, meta: ExperimentMeta): string {
  const replicas = Object.keys(summary.results);
  const lines: string[] = [];
  lines.push(`# rate scaling experiment — ${meta.startedAt}`, '');
  lines.push(headlineTable(summary), '');
  lines.push(
    `Machine: ${meta.machine.cpus} cores (${meta.machine.model}), ${meta.machine.memoryGiB} GiB. CPU limit per API replica: ${summary.cpu_limit_per_replica} ` +
      (summary.cgroups
        ? `as a cgroup CPU quota (from ${meta.valuesFile}).`
        : `**NOT APPLIED — ${meta.cgroupProblem}. Without per-replica limits, 1 vs 3 replicas on one machine measures nothing.**`),
    `Load: ${summary.driver} (open model) and wrk (closed model). Objective: p99 ≤ ${summary.objective.p99_ms} ms and errors < ${summary.objective.max_error_rate * 100} %. ` +
      `${summary.repeats} full sweep(s) per replica count, each rate held ${summary.step_duration_s} s and judged in ${summary.windows} windows${summary.quick ? ' (--quick: short steps, one sweep — indicative only)' : ''}.`,
    '',
  );

  const c = summary.contention;
  lines.push('## Contention guard', '');
  lines.push(
    `Every capacity step measured the CPU the machine spent outside the stack, the load generator and this harness (from /proc/stat, minus the known processes; hypervisor steal apart). ` +
      `A step with outside load over ${c.limits.outside_cpu_pct} % of a core or a generator over ${c.limits.generator_cpu_pct} % was repeated (up to ${meta.contentionLimits.retries} times). ` +
      `This run: ${c.steps} steps, ${c.repeated_steps} repeated, ${c.contended_steps} still contended; outside load up to ${c.outside_cpu_pct_max} %, generator up to ${c.generator_cpu_pct_max} %. ` +
      (c.flagged ? '**Flagged: the ratio is withheld.**' : 'Clean.'),
    '',
  );

  lines.push(...closedModelSection(summary, replicas));

  lines.push('', '## Two capacity figures', '');
  lines.push(
    `An open-model generator offers requests on a clock, whatever the latency. Each sweep holds every rate of a geometric grid for ${summary.step_duration_s} s and judges it in ${summary.windows} windows; ` +
      'the sweep does not stop at the first failure, only once rates in a row fail both figures; once rates in a row fail the objective, it skips to just below the sustainable rate the locating ramp found (the rates between fail the objective and are served in full). ' +
      `**Capacity at the objective** is the highest rate whose windows met p99 ≤ ${summary.objective.p99_ms} ms and errors < ${summary.objective.max_error_rate * 100} % in the majority, with every higher rate failing — a rate that failed while higher ones passed is an isolated failure (a stall), recorded, not taken as the limit. ` +
      `**Sustainable throughput** is the highest rate served within ${summary.sustainable_tolerance * 100} % of the offered rate with errors under the budget, latency aside. ` +
      'The gap between them is the latency tail: under a CFS quota a replica that uses up its share of a 100 ms period stops until the next one, so requests arriving then wait tens of ms even while the replica keeps up on average. ' +
      'Throughput runs out when the average CPU per request meets the quota; latency runs out earlier, when throttled periods become frequent enough to reach the 99th percentile.',
    '',
  );
  for (const n of replicas) lines.push(...capacitySection(`${n} replica(s)`, summary.results[n]));
  if (summary.baseline_detail) lines.push(...capacitySection('bare Fastify baseline', summary.baseline_detail));

  lines.push('', '## Baseline: the app against bare Fastify', '');
  if (summary.baseline_detail && summary.app_vs_baseline) {
    const one = summary.results['1'];
    lines.push(
      `A bare Fastify replica (202 and a body of the same shape, no Kafka, no validation) ran under the same ${summary.cpu_limit_per_replica} quota behind an identically configured nginx, through the same sweeps, in this run${summary.baseline_detail.cgroups ? '' : ' (**without a CPU limit: cgroups unavailable**)'}. ` +
        `One API replica reaches ${summary.app_vs_baseline.capacity ?? 'n/a'} of its capacity at the objective (${one?.capacity_rps ?? 'n/a'} vs ${summary.baseline_detail.capacity_rps} rps) and ${summary.app_vs_baseline.sustainable ?? 'n/a'} of its sustainable throughput (${one?.sustainable_rps ?? 'n/a'} vs ${summary.baseline_detail.sustainable_rps} rps): ` +
        'what is left is the price of the work the app does per request (validation, the Kafka produce with acks=all, metrics) on the same quota.',
    );
  } else lines.push('Not measured in this run (the baseline runs with the local target only, next to 1 replica).');

  lines.push('', '## Scaling curve', '');
  lines.push(...scalingSection(summary));

  lines.push('', '## CPU: idle and per request', '');
  for (const n of replicas) {
    const r = summary.results[n];
    lines.push(
      `- ${n} replica(s): idle ${list(r.idle_cpu_pct, ' %') || 'n/a'}; CPU per request above idle at ${r.offered_rps} rps: ${list(r.cpu_ms_per_request, ' ms') || 'n/a'}.`,
    );
  }
  if (summary.baseline_detail) lines.push(`- baseline: idle ${list(summary.baseline_detail.idle_cpu_pct, ' %')}.`);

  lines.push('', '## Latency at equal offered load', '');
  for (const n of replicas) {
    const r = summary.results[n];
    lines.push(
      `- ${n} replica(s) at ${r.offered_rps} rps: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms. CPU (% of one core): ${list(r.cpu_pct_at_open_load)}.`,
    );
  }
  lines.push('', '## Balance, freshness, integrity, generator', '');
  for (const n of replicas) {
    const r = summary.results[n];
    const share = Object.entries(r.replica_share)
      .map(([k, v]) => `${k} ${round(v * 100)} %`)
      .join(', ');
    lines.push(
      `- ${n} replica(s): share ${share || 'n/a'}; freshness (202 → visible in GET) p50 ${r.freshness_ms.p50} ms, p99 ${r.freshness_ms.p99} ms over ${r.freshness_ms.samples} probes; ` +
        `integrity ${r.accepted} accepted, ${r.aggregated} aggregated, ${r.lost} lost, ${r.duplicated} duplicated${waitingText(r)}; generator CPU ${r.generator_cpu_pct} %${r.generator_flagged ? ' — **FLAGGED: above 80 % of a core, the generator may have limited the run**' : ''}.`,
    );
  }
  const verdict = !summary.integrity_checked ? 'NOT CHECKED' : summary.integrity_exact ? 'yes' : 'NO';
  lines.push('', `Integrity exact in every run: **${verdict}**.`, '');
  lines.push(
    '## Files',
    '',
    '- `summary.json` — the numbers above',
    '- `runs.json`, `meta.json` — every step as measured (`npm run experiment -- --render DIR` rebuilds the report)',
    '- `report.html` — the same with charts',
    "- `raw/` — the load generators' own results (vegeta binary results and JSON reports, wrk output)",
    '',
  );
  return lines.join('\n');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];

/** A small self-contained SVG bar chart: groups of bars with labels. */
export function barChart(title: string, unit: string, groups: { label: string; bars: { name: string; value: number }[] }[]): string {
  const width = 640;
  const height = 260;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const groupWidth = (width - 60) / Math.max(1, groups.length);
  const barWidth = Math.max(4, (groupWidth - 20) / Math.max(1, names.length));
  const parts: string[] = [];
  groups.forEach((g, gi) => {
    const x0 = 50 + gi * groupWidth + 10;
    g.bars.forEach((b) => {
      const i = names.indexOf(b.name);
      const h = ((height - 70) * b.value) / max;
      const x = x0 + i * barWidth;
      parts.push(
        `<rect x="${x}" y="${height - 40 - h}" width="${barWidth - 2}" height="${h}" fill="${COLORS[i % COLORS.length]}"><title>${esc(b.name)}: ${b.value} ${unit}</title></rect>`,
      );
      parts.push(`<text x="${x + barWidth / 2}" y="${height - 44 - h}" font-size="10" text-anchor="middle">${round(b.value)}</text>`);
    });
    parts.push(
      `<text x="${x0 + (names.length * barWidth) / 2}" y="${height - 24}" font-size="12" text-anchor="middle">${esc(g.label)}</text>`,
    );
  });
  const legend = names.map((n, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■</tspan> ${esc(n)}`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<line x1="50" y1="${height - 40}" x2="${width - 10}" y2="${height - 40}" stroke="#333"/>
${parts.join('\n')}
<text x="10" y="${height - 6}" font-size="11">${legend} (${esc(unit)})</text>
</svg></figure>`;
}

/** Lines through points (x ascending), one per series; `dashed` series are drawn without dots. */
export function lineChart(
  title: string,
  xUnit: string,
  yUnit: string,
  series: { name: string; points: { x: number; y: number }[]; dashed?: boolean }[],
  yLimit?: number,
): string {
  const width = 640;
  const height = 300;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys, yLimit ?? 0);
  const sx = (x: number) => 50 + ((width - 70) * x) / xMax;
  const sy = (y: number) => height - 40 - ((height - 70) * Math.min(y, yMax)) / yMax;
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${round(sx(p.x))},${round(sy(p.y))}`).join(' ');
    const dots = s.dashed
      ? ''
      : pts
          .map(
            (p) =>
              `<circle cx="${round(sx(p.x))}" cy="${round(sy(p.y))}" r="3" fill="${color}"><title>${esc(s.name)}: ${p.x} ${esc(xUnit)}, ${p.y} ${esc(yUnit)}</title></circle>`,
          )
          .join('');
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}`;
  });
  const limit =
    yLimit === undefined
      ? ''
      : `<line x1="50" x2="${width - 20}" y1="${sy(yLimit)}" y2="${sy(yLimit)}" stroke="#e15759" stroke-dasharray="4"/><text x="${width - 20}" y="${sy(yLimit) - 4}" font-size="10" text-anchor="end">objective</text>`;
  const legend = series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■</tspan> ${esc(s.name)}`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<line x1="50" y1="${height - 40}" x2="${width - 20}" y2="${height - 40}" stroke="#333"/><line x1="50" y1="30" x2="50" y2="${height - 40}" stroke="#333"/>
<text x="50" y="${height - 26}" font-size="10">0</text><text x="${width - 20}" y="${height - 26}" font-size="10" text-anchor="end">${round(xMax, 0)} ${esc(xUnit)}</text>
<text x="46" y="34" font-size="10" text-anchor="end">${round(yMax, 0)}</text>
${limit}
${lines.join('\n')}
<text x="10" y="${height - 6}" font-size="11">${legend} (${esc(yUnit)})</text>
</svg></figure>`;
}

function sweepSteps(capacity: CapacityRun) {
  return capacity.sweeps.flatMap((s) => s.steps);
}

export function renderHtml(summary: Summary, meta: ExperimentMeta, runs: Runs, markdown: string): string {
  const systems = [
    ...runs.replicas.map((r) => ({ name: `${r.replicas} replica(s)`, capacity: r.capacity })),
    ...(runs.baseline ? [{ name: 'bare Fastify', capacity: runs.baseline.capacity }] : []),
  ];
  const scalingSeries: { name: string; points: { x: number; y: number }[]; dashed?: boolean }[] = [
    { name: 'capacity at the objective', points: summary.scaling.points.map((p) => ({ x: p.replicas, y: p.capacity_rps })) },
    { name: 'sustainable throughput', points: summary.scaling.points.map((p) => ({ x: p.replicas, y: p.sustainable_rps })) },
  ];
  const fit = summary.scaling.usl_capacity;
  if (fit) {
    const top = Math.max(...summary.scaling.points.map((p) => p.replicas)) + 2;
    scalingSeries.push({
      name: 'USL fit (capacity)',
      dashed: true,
      points: Array.from({ length: top * 4 }, (_, i) => 1 + i / 4).map((n) => ({ x: n, y: round(uslThroughput(fit, n)) })),
    });
  }
  const charts = [
    lineChart(
      'Throughput served vs offered load (every sweep step)',
      'offered req/s',
      'req/s',
      systems.map((s) => ({ name: s.name, points: sweepSteps(s.capacity).map((st) => ({ x: st.offered, y: round(st.throughput) })) })),
    ),
    lineChart(
      'p99 latency vs offered load (every sweep step)',
      'offered req/s',
      'ms',
      systems.map((s) => ({ name: s.name, points: sweepSteps(s.capacity).map((st) => ({ x: st.offered, y: st.p99Ms })) })),
      summary.objective.p99_ms,
    ),
    lineChart('Capacity against replicas', 'replicas', 'req/s', scalingSeries),
    barChart(
      `Latency at equal offered load (${meta.openRate} req/s)`,
      'ms',
      Object.entries(summary.results).map(([n, v]) => ({
        label: `${n} replica(s)`,
        bars: [
          { name: 'p50', value: v.p50_ms },
          { name: 'p99', value: v.p99_ms },
        ],
      })),
    ),
    barChart(
      'Per-replica share of requests',
      '%',
      runs.replicas.map((r) => ({
        label: `${r.replicas} replica(s)`,
        bars: Object.entries(r.replicaShare).map(([name, v]) => ({ name, value: round(v * 100) })),
      })),
    ),
    barChart(
      'CPU per component at capacity',
      '% of one core',
      Object.entries(summary.results).map(([n, v]) => ({
        label: `${n} replica(s)`,
        bars: Object.entries(v.cpu_pct_at_capacity).map(([name, value]) => ({ name, value })),
      })),
    ),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rate scaling experiment ${esc(meta.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}figure{margin:1.5em 0}code{background:#f4f4f4;padding:0 3px}</style>
</head><body>
${markdownToHtml(markdown)}
<h2>Charts</h2>
${charts.join('\n')}
</body></html>
`;
}

/** Just enough Markdown for this report: headings, tables, bullets (two levels), bold, code, paragraphs. */
export function markdownToHtml(markdown: string): string {
  const inline = (t: string) =>
    esc(t)
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/`(.+?)`/g, '<code>$1</code>');
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('# ')) out.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('|')) {
      const rows: string[] = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      i--;
      const cells = (row: string) =>
        row
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim());
      out.push(
        '<table>',
        `<tr>${cells(rows[0])
          .map((c) => `<th>${inline(c)}</th>`)
          .join('')}</tr>`,
      );
      for (const row of rows.slice(2))
        out.push(
          `<tr>${cells(row)
            .map((c) => `<td>${inline(c)}</td>`)
            .join('')}</tr>`,
        );
      out.push('</table>');
    } else if (line.startsWith('- ')) {
      out.push('<ul>');
      while (i < lines.length && (lines[i].startsWith('- ') || lines[i].startsWith('  - '))) {
        if (lines[i].startsWith('- ')) out.push(`<li>${inline(lines[i].slice(2))}</li>`);
        else {
          out.push('<ul>');
          while (i < lines.length && lines[i].startsWith('  - ')) out.push(`<li>${inline(lines[i++].slice(4))}</li>`);
          i--;
          out.push('</ul>');
        }
        i++;
      }
      i--;
      out.push('</ul>');
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}

/** --study: the CPU-limit study, one row per report (the same experiment at different quotas). */
export function quotaStudyTable(summaries: Summary[]): string {
  const millis = (s: Summary) => Number(s.cpu_limit_per_replica.replace('m', ''));
  const rows = [...summaries]
    .sort((a, b) => millis(a) - millis(b))
    .map((s) => {
      const one = s.results['1'];
      const three = s.results['3'];
      const cell = (r?: ReplicaResult) => (r ? `${r.capacity_rps} / ${r.sustainable_rps}` : 'n/a');
      const ratio = (value: number | null, interval: [number, number] | null) =>
        s.contention.flagged ? 'withheld (contended)' : `${value ?? 'n/a'}${interval ? ` [${interval[0]}, ${interval[1]}]` : ''}`;
      return `| ${s.cpu_limit_per_replica} | ${cell(one)} | ${cell(three)} | ${ratio(s.capacity_ratio_3_vs_1, s.capacity_ratio_interval)} | ${ratio(s.sustainable_ratio_3_vs_1, s.sustainable_ratio_interval)} | ${s.started_at}${s.quick ? ' (quick)' : ''} |`;
    });
  return [
    '| CPU limit per replica | 1 replica: objective / sustainable rps | 3 replicas: objective / sustainable rps | capacity ratio 3 vs 1 [95 % interval] | sustainable ratio 3 vs 1 | run |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
