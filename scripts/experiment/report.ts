import { median } from './capacity-search';
import { ExperimentMeta, ReplicaRun } from './experiment-types';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const spreadOf = (values: number[]) => (values.length ? { min: Math.min(...values), max: Math.max(...values) } : { min: 0, max: 0 });
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

/** The repeat with the median throughput, whole: Little's law only holds within one run. */
function closedModel(closed: ReplicaRun['closed']) {
  const sorted = [...closed].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    connections: mid?.connections ?? 5,
    rps: mid?.rps ?? 0,
    p50_ms: mid?.p50Ms ?? 0,
    mean_ms: mid?.meanMs ?? 0,
    p99_ms: mid?.p99Ms ?? 0,
    rps_runs: closed.map((c) => c.rps),
  };
}

/** summary.json: DESIGN.md's keys plus the spread over repeats and the context to read them. */
export function buildSummary(meta: ExperimentMeta, runs: ReplicaRun[]) {
  const results: Record<string, unknown> = {};
  for (const run of runs) {
    const capacities = run.capacity.map((c) => c.capacity);
    const fresh = [...run.freshnessMs].sort((a, b) => a - b);
    const generatorCpu = run.open.map((o) => o.generatorCpuPct);
    results[String(run.replicas)] = {
      capacity_rps: median(capacities),
      capacity_rps_runs: capacities,
      capacity_limited_by: run.capacity.map((c) => c.limitedBy),
      p50_ms: median(run.open.map((o) => o.p50Ms)),
      p99_ms: median(run.open.map((o) => o.p99Ms)),
      p99_ms_runs: run.open.map((o) => o.p99Ms),
      offered_rps: meta.openRate,
      error_rate: median(run.open.map((o) => o.errorRate)),
      accepted: run.integrity.accepted,
      aggregated: run.integrity.aggregated,
      lost: run.integrity.lost,
      duplicated: run.integrity.duplicated,
      replica_share: run.replicaShare,
      generator_cpu_pct: round(Math.max(0, ...generatorCpu)),
      generator_flagged: generatorCpu.some((c) => c > 80),
      cpu_pct_at_open_load: run.open[0]?.cpuPct ?? {},
      cpu_pct_at_capacity: run.cpuAtCapacity,
      throttled_periods_pct: run.throttledPct,
      closed_model: closedModel(run.closed),
      freshness_ms: { p50: pct(fresh, 50), p99: pct(fresh, 99), max: fresh[fresh.length - 1] ?? 0, samples: fresh.length },
      capacity_traffic: run.capacityTraffic,
    };
  }
  const one = runs.find((r) => r.replicas === 1);
  const three = runs.find((r) => r.replicas === 3);
  const ratio = (a?: ReplicaRun, b?: ReplicaRun) => (a && b && median(a.capacity.map((c) => c.capacity)) > 0 ? round(median(b.capacity.map((c) => c.capacity)) / median(a.capacity.map((c) => c.capacity)), 2) : null);
  const ratioRuns =
    one && three ? three.capacity.map((c, i) => round(c.capacity / Math.max(1, one.capacity[i]?.capacity ?? one.capacity[0].capacity), 2)) : [];
  return {
    cpu_limit_per_replica: meta.cpuLimitPerReplica,
    cgroups: meta.cgroups,
    quick: meta.quick,
    driver: meta.driver,
    target: meta.target,
    started_at: meta.startedAt,
    machine: meta.machine,
    objective: meta.objective,
    repeats: meta.repeats,
    results,
    capacity_ratio_3_vs_1: ratio(one, three),
    capacity_ratio_3_vs_1_runs: ratioRuns,
    integrity_exact: runs.every((r) => r.integrity.lost === 0 && r.integrity.duplicated === 0),
  };
}

export type Summary = ReturnType<typeof buildSummary>;

interface ResultView {
  capacity_rps: number;
  capacity_rps_runs: number[];
  p50_ms: number;
  p99_ms: number;
  offered_rps: number;
  accepted: number;
  aggregated: number;
  lost: number;
  duplicated: number;
  replica_share: Record<string, number>;
  generator_cpu_pct: number;
  generator_flagged: boolean;
  cpu_pct_at_capacity: Record<string, number>;
  throttled_periods_pct: { atCapacity: Record<string, number>; atFailure: Record<string, number> };
  cpu_pct_at_open_load: Record<string, number>;
  closed_model: { connections: number; rps: number; p50_ms: number; mean_ms: number; p99_ms: number; rps_runs: number[] };
  freshness_ms: { p50: number; p99: number; max: number; samples: number };
  capacity_limited_by: string[];
}

const view = (summary: Summary, replicas: string) => summary.results[replicas] as ResultView;

/** The table printed at the end of the run and at the top of report.md. */
export function headlineTable(summary: Summary): string {
  const rows = Object.keys(summary.results).map((n) => {
    const r = view(summary, n);
    const s = spreadOf(r.capacity_rps_runs);
    return `| ${n} | ${r.capacity_rps} (${s.min}–${s.max}) | ${r.p50_ms} / ${r.p99_ms} @ ${r.offered_rps} rps | ${round(r.closed_model.rps)} rps, p50 ${r.closed_model.p50_ms} ms | ${r.accepted} / ${r.aggregated} / ${r.lost} / ${r.duplicated} |`;
  });
  return [
    `| API replicas (${summary.cpu_limit_per_replica} CPU each) | capacity rps at p99 ≤ ${summary.objective.p99_ms} ms (median, range) | p50 / p99 ms at equal offered load | closed model (wrk -c5, the original) | accepted / aggregated / lost / duplicated |`,
    '|---|---|---|---|---|',
    ...rows,
    '',
    `capacity ratio 3 vs 1: **${summary.capacity_ratio_3_vs_1 ?? 'n/a'}** (per repeat: ${summary.capacity_ratio_3_vs_1_runs.join(', ') || 'n/a'})`,
  ].join('\n');
}

function bottleneck(cpu: Record<string, number>, limitPct: number, cores: number): string {
  const entries = Object.entries(cpu).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'not measured';
  const apis = entries.filter(([name]) => name.startsWith('api-'));
  const apisAtLimit = apis.length > 0 && apis.every(([, v]) => v >= 0.85 * limitPct);
  const total = entries.reduce((sum, [, v]) => sum + v, 0);
  const parts = entries.slice(0, 4).map(([name, v]) => `${name} ${v}%`);
  const machine = `whole machine ${round(total)} % of ${cores * 100} %`;
  if (apisAtLimit) return `the API replicas, at their CPU quota (${parts.join(', ')}; ${machine})`;
  return `${entries[0][0]} (${parts.join(', ')}; ${machine})`;
}

export function renderMarkdown(summary: Summary, meta: ExperimentMeta): string {
  const limitPct = Number(summary.cpu_limit_per_replica.replace('m', '')) / 10;
  const replicas = Object.keys(summary.results);
  const lines: string[] = [];
  lines.push(`# rate scaling experiment — ${meta.startedAt}`, '');
  lines.push(headlineTable(summary), '');
  lines.push(
    `Machine: ${meta.machine.cpus} cores (${meta.machine.model}), ${meta.machine.memoryGiB} GiB. CPU limit per API replica: ${summary.cpu_limit_per_replica} ` +
      (summary.cgroups ? `as a cgroup CPU quota (from ${meta.valuesFile}).` : `**NOT APPLIED — ${meta.cgroupProblem}. Without per-replica limits, 1 vs 3 replicas on one machine measures nothing.**`),
    `Load: ${summary.driver} (open model) and wrk (closed model). Objective: p99 ≤ ${summary.objective.p99_ms} ms and errors < ${summary.objective.max_error_rate * 100} %. ` +
      `${summary.repeats} repeat(s) of each measurement${summary.quick ? ' (--quick: short steps, one repeat — indicative only)' : ''}.`,
    '',
  );
  lines.push('## What the original exercise measured', '');
  lines.push(
    'The exercise ran `wrk -c5 -t5` against 3 replicas behind nginx and saw 4.91 rps at 1.01 s latency for 1 and for 3 replicas. ' +
      'That is a **closed model**: 5 connections, each sending its next request only when the previous one answered. ' +
      "By Little's law the throughput of such a loop is at most connections / latency: 5 / 1.01 s = 4.95 rps — exactly what it measured. " +
      'The loop never offered more than the service could absorb, so more replicas had nothing to absorb: the measurement was bounded by the load generator, not by the service.',
    '',
  );
  for (const n of replicas) {
    const c = view(summary, n).closed_model;
    if (c.rps === 0) continue;
    const roundTrip = round((1000 * c.connections) / c.rps, 2);
    lines.push(
      `- ${n} replica(s), wrk -c${c.connections}: ${round(c.rps)} rps (p50 ${c.p50_ms} ms, p99 ${c.p99_ms} ms), so each of the ${c.connections} connections completed a request every ${roundTrip} ms (Little's law, ${c.connections} / ${round(c.rps)} rps): ` +
        `a closed loop's throughput is its connection count over its round trip, whatever the service could take — the open-model capacity below is the real number.`,
    );
  }
  lines.push('', '## Open model: capacity at the objective', '');
  lines.push(
    'An open-model generator (constant arrival rate) offers requests on a clock, whatever the latency, so queueing shows up as latency instead of silently slowing the generator down. ' +
      'The capacity search raises the offered rate step by step until p99 exceeds the objective or errors appear; the capacity is the highest rate that still met it.',
    '',
  );
  for (const n of replicas) {
    const r = view(summary, n);
    const throttled = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v} %`).join(', ') || 'n/a';
    lines.push(
      `- ${n} replica(s): ${r.capacity_rps} rps (runs: ${r.capacity_rps_runs.join(', ')}; limited by ${[...new Set(r.capacity_limited_by)].join(', ')}). At capacity the busiest components were ${bottleneck(r.cpu_pct_at_capacity, limitPct, meta.machine.cpus)}. ` +
        `CFS periods in which the quota throttled a replica: ${throttled(r.throttled_periods_pct.atCapacity)} at capacity, ${throttled(r.throttled_periods_pct.atFailure)} at the first failing step — a throttled replica stops for the rest of its 100 ms period, which is what pushes p99 past the objective.`,
    );
  }
  lines.push('', '## Latency at equal offered load', '');
  for (const n of replicas) {
    const r = view(summary, n);
    lines.push(`- ${n} replica(s) at ${r.offered_rps} rps: p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms. CPU (% of one core): ${Object.entries(r.cpu_pct_at_open_load).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  }
  lines.push('', '## Balance, freshness, integrity, generator', '');
  for (const n of replicas) {
    const r = view(summary, n);
    const share = Object.entries(r.replica_share).map(([k, v]) => `${k} ${round(v * 100)} %`).join(', ');
    lines.push(
      `- ${n} replica(s): share ${share || 'n/a'}; freshness (202 → visible in GET) p50 ${r.freshness_ms.p50} ms, p99 ${r.freshness_ms.p99} ms over ${r.freshness_ms.samples} probes; ` +
        `integrity ${r.accepted} accepted, ${r.aggregated} aggregated, ${r.lost} lost, ${r.duplicated} duplicated; generator CPU ${r.generator_cpu_pct} %${r.generator_flagged ? ' — **FLAGGED: above 80 % of a core, the generator may have limited the run**' : ''}.`,
    );
  }
  lines.push('', `Integrity exact in every run: **${summary.integrity_exact ? 'yes' : 'NO'}**.`, '');
  lines.push('## Files', '', '- `summary.json` — the numbers above', '- `report.html` — the same with charts', '- `raw/` — the load generators\' own results (vegeta binary results and JSON reports, wrk output)', '');
  return lines.join('\n');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A small self-contained SVG bar chart: groups of bars with labels. */
export function barChart(title: string, unit: string, groups: { label: string; bars: { name: string; value: number }[] }[]): string {
  const width = 640;
  const height = 260;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
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
      parts.push(`<rect x="${x}" y="${height - 40 - h}" width="${barWidth - 2}" height="${h}" fill="${colors[i % colors.length]}"><title>${esc(b.name)}: ${b.value} ${unit}</title></rect>`);
      parts.push(`<text x="${x + barWidth / 2}" y="${height - 44 - h}" font-size="10" text-anchor="middle">${round(b.value)}</text>`);
    });
    parts.push(`<text x="${x0 + (names.length * barWidth) / 2}" y="${height - 24}" font-size="12" text-anchor="middle">${esc(g.label)}</text>`);
  });
  const legend = names.map((n, i) => `<tspan fill="${colors[i % colors.length]}">■</tspan> ${esc(n)}`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<line x1="50" y1="${height - 40}" x2="${width - 10}" y2="${height - 40}" stroke="#333"/>
${parts.join('\n')}
<text x="10" y="${height - 6}" font-size="11">${legend} (${esc(unit)})</text>
</svg></figure>`;
}

/** Throughput (or p99) against offered load, one line per replica count, from the capacity steps. */
export function lineChart(title: string, yUnit: string, series: { name: string; points: { x: number; y: number }[] }[], yLimit?: number): string {
  const width = 640;
  const height = 300;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys, yLimit ?? 0);
  const sx = (x: number) => 50 + ((width - 70) * x) / xMax;
  const sy = (y: number) => height - 40 - ((height - 70) * Math.min(y, yMax)) / yMax;
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];
  const lines = series.map((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${round(sx(p.x))},${round(sy(p.y))}`).join(' ');
    const dots = pts.map((p) => `<circle cx="${round(sx(p.x))}" cy="${round(sy(p.y))}" r="3" fill="${colors[i % colors.length]}"><title>${esc(s.name)}: offered ${p.x}, ${p.y} ${yUnit}</title></circle>`).join('');
    return `<path d="${d}" fill="none" stroke="${colors[i % colors.length]}" stroke-width="2"/>${dots}`;
  });
  const limit = yLimit === undefined ? '' : `<line x1="50" x2="${width - 20}" y1="${sy(yLimit)}" y2="${sy(yLimit)}" stroke="#e15759" stroke-dasharray="4"/><text x="${width - 20}" y="${sy(yLimit) - 4}" font-size="10" text-anchor="end">objective</text>`;
  const legend = series.map((s, i) => `<tspan fill="${colors[i % colors.length]}">■</tspan> ${esc(s.name)}`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<line x1="50" y1="${height - 40}" x2="${width - 20}" y2="${height - 40}" stroke="#333"/><line x1="50" y1="30" x2="50" y2="${height - 40}" stroke="#333"/>
<text x="50" y="${height - 26}" font-size="10">0</text><text x="${width - 20}" y="${height - 26}" font-size="10" text-anchor="end">${round(xMax, 0)} offered req/s</text>
<text x="46" y="34" font-size="10" text-anchor="end">${round(yMax, 0)}</text>
${limit}
${lines.join('\n')}
<text x="10" y="${height - 6}" font-size="11">${legend} (${esc(yUnit)})</text>
</svg></figure>`;
}

export function renderHtml(summary: Summary, meta: ExperimentMeta, runs: ReplicaRun[], markdown: string): string {
  const steps = (run: ReplicaRun) => run.capacity.flatMap((c) => c.steps);
  const charts = [
    lineChart('Throughput served vs offered load (capacity search steps)', 'req/s', runs.map((r) => ({ name: `${r.replicas} replica(s)`, points: steps(r).map((s) => ({ x: s.offered, y: s.achieved })) }))),
    lineChart('p99 latency vs offered load', 'ms', runs.map((r) => ({ name: `${r.replicas} replica(s)`, points: steps(r).map((s) => ({ x: s.offered, y: s.p99Ms })) })), summary.objective.p99_ms),
    barChart(`Latency at equal offered load (${meta.openRate} req/s)`, 'ms', runs.map((r) => {
      const v = summary.results[String(r.replicas)] as ResultView;
      return { label: `${r.replicas} replica(s)`, bars: [{ name: 'p50', value: v.p50_ms }, { name: 'p99', value: v.p99_ms }] };
    })),
    barChart('Per-replica share of requests', '%', runs.map((r) => ({ label: `${r.replicas} replica(s)`, bars: Object.entries(r.replicaShare).map(([name, v]) => ({ name, value: round(v * 100) })) }))),
    barChart('CPU per component at capacity', '% of one core', runs.map((r) => ({ label: `${r.replicas} replica(s)`, bars: Object.entries(r.cpuAtCapacity).map(([name, value]) => ({ name, value })) }))),
  ];
  const body = markdownToHtml(markdown);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rate scaling experiment ${esc(meta.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}figure{margin:1.5em 0}code{background:#f4f4f4;padding:0 3px}</style>
</head><body>
${body}
<h2>Charts</h2>
${charts.join('\n')}
</body></html>
`;
}

/** Just enough Markdown for this report: headings, tables, bullets, bold, code, paragraphs. */
export function markdownToHtml(markdown: string): string {
  const inline = (t: string) => esc(t).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');
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
      const cells = (row: string) => row.split('|').slice(1, -1).map((c) => c.trim());
      out.push('<table>', `<tr>${cells(rows[0]).map((c) => `<th>${inline(c)}</th>`).join('')}</tr>`);
      for (const row of rows.slice(2)) out.push(`<tr>${cells(row).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`);
      out.push('</table>');
    } else if (line.startsWith('- ')) {
      out.push('<ul>');
      while (i < lines.length && lines[i].startsWith('- ')) out.push(`<li>${inline(lines[i++].slice(2))}</li>`);
      i--;
      out.push('</ul>');
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}
