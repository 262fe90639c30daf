import { PairedRuns } from './paired-types';
import { PairedMeta, PairedSummary } from './paired-summary';
import { barChart, markdownToHtml } from './report';
import { round } from './statistics';

/** One colour per arm everywhere (charts and tables). */
const ARM_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];
const armName = (runs: PairedRuns, key: string) => {
  const arm = runs.arms.find((a) => a.key === key)!;
  return runs.aa ? `arm ${key} (1 replica)` : `${arm.replicas} replica${arm.replicas > 1 ? 's' : ''}`;
};
const interval = (i: [number, number] | null) => (i ? `${i[0]}–${i[1]}` : 'not given');
const pctText = (share: number) => `${round(share * 100, 2)} %`;

/**
 * What the interval makes of the ratio: an A/A interval must contain 1 (else the two doors to one
 * replica measure differently, and no R of this machine means anything); an R interval must stay
 * within the goal of R to be a figure that comes out the same twice.
 */
function intervalVerdict(ratio: number, i: [number, number] | null, aa: boolean, goal: number): string {
  if (!i) return '';
  if (aa) return i[0] <= 1 && 1 <= i[1] ? ', contains 1' : ', **excludes 1**: the two doors to one replica measured differently';
  const below = Math.round((1 - i[0] / ratio) * 100);
  const above = Math.round((i[1] / ratio - 1) * 100);
  const pct = Math.round(goal * 100);
  const verdict = below <= pct && above <= pct ? `within ±${pct} %` : `**wider than ±${pct} %**: not a reproducible figure`;
  return `, −${below} %/+${above} % of R: ${verdict}`;
}

/** The sentence the report opens with. */
export function pairedHeadline(s: PairedSummary, runs: PairedRuns, rounds: { min_clean_rounds: number; interval_goal: number }): string {
  const minCleanRounds = rounds.min_clean_rounds;
  const [num, den] = s.ratio_arms;
  const ratio = runs.aa ? s.aa_ratio : s.capacity_ratio_3_vs_1;
  const what = runs.aa
    ? `A/A calibration (both arms on one replica at ${s.cpu_limit_per_replica})`
    : `${armName(runs, num)} vs ${armName(runs, den)} at ${s.cpu_limit_per_replica} CPU each`;
  if (s.contention.flagged)
    return `**CONTENDED — no ratio printed**: ${s.contention.clean_rounds} clean round(s), at least ${minCleanRounds} needed (void: ${s.contention.void_rounds.join(', ')}); ${what}.`;
  if (ratio === null) return `**No ratio**: a capacity fell outside its ladder (${what}).`;
  const machine =
    s.headroom.verdict === 'replica-bound'
      ? ''
      : ` — **${s.headroom.verdict}**: ${s.headroom.saturated.join('; ')}; this is not a scaling result`;
  const verdict = intervalVerdict(ratio, s.ratio_interval, runs.aa, rounds.interval_goal);
  return `**R = ${ratio}** (95 % interval ${interval(s.ratio_interval)}${verdict}), ${what}: capacity ${s.results[num].capacity_rps} vs ${s.results[den].capacity_rps} rps with ≤ 1 % of requests over the objective${machine}.`;
}

/** The table printed at the end of a run and in report.md. */
export function pairedTable(s: PairedSummary, runs: PairedRuns): string {
  const lines = [
    `| arm (${s.cpu_limit_per_replica} CPU each) | capacity rps (95 %) | saturation rps | p50 / p99 ms at ${runs.equalLoadRate} rps | headroom | accepted | lost | duplicated |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const arm of runs.arms) {
    const r = s.results[arm.key];
    const measured = r.curve.length > 0;
    const capacity = !measured
      ? 'no clean round'
      : r.capacity_censored
        ? `${r.capacity_censored === 'below' ? '<' : '>'} ${r.capacity_rps || runs.ladders[arm.key][0]}`
        : String(r.capacity_rps);
    lines.push(
      `| ${arm.key} | ${capacity} (${interval(r.capacity_interval)}) | ${r.saturation_rps} | ${measured ? `${r.p50_ms} / ${r.p99_ms}` : '–'} | ${r.headroom.verdict} | ${r.accepted} | ${r.lost} | ${r.duplicated} |`,
    );
  }
  return lines.join('\n');
}

function roundsTable(s: PairedSummary, runs: PairedRuns): string[] {
  const columns = runs.arms.flatMap((arm) => [...runs.ladders[arm.key], runs.equalLoadRate].map((rate) => ({ arm: arm.key, rate })));
  const unique = columns
    .filter((c, i) => columns.findIndex((o) => o.arm === c.arm && o.rate === c.rate) === i)
    .sort((a, b) => (a.arm === b.arm ? a.rate - b.rate : 0));
  const lines = [`| round | ${unique.map((c) => `${c.arm} @ ${c.rate}`).join(' | ')} |`, `|---|${unique.map(() => '---').join('|')}|`];
  for (const r of s.rounds) {
    const cell = (c: { arm: string; rate: number }) => {
      const b = r.blocks.find((x) => x.arm === c.arm && x.rate === c.rate);
      return b ? `${pctText(b.slow_share)}${b.contended ? ' ⚠' : ''}` : '';
    };
    lines.push(`| ${r.round}${r.contended ? ' (void)' : ''} | ${unique.map(cell).join(' | ')} |`);
  }
  return lines;
}

export function renderPairedMarkdown(s: PairedSummary, runs: PairedRuns, meta: PairedMeta): string {
  const d = meta.definitions;
  const lines = [
    `# rate scaling experiment — ${meta.startedAt}`,
    '',
    pairedHeadline(s, runs, d.rounds),
    '',
    pairedTable(s, runs),
    '',
    '## How it was measured',
    '',
    `- One stack, ${Math.max(...runs.arms.map((a) => a.replicas))} API replica(s) at ${s.cpu_limit_per_replica} CPU each (cgroup v2 quota${s.cgroups ? '' : ': **NOT ENFORCED** — ' + meta.cgroupProblem}), one nginx front door per arm; ${meta.driver} offers each rate open-loop.`,
    `- Capacity = the offered rate where the share of requests over ${d.objective.p99_ms} ms (from their intended send time) or not accepted, **pooled over the clean rounds**, crosses ${d.rounds.budget * 100} %, interpolated between the ladder's rates; 95 % intervals by resampling whole rounds (seed ${runs.seed}).`,
    `- ${s.rounds.length} round(s) of ${d.rounds.block_s} s blocks in a random order per round; a contended block (outside load > ${d.contention.outside_cpu_pct} %, generator > ${d.contention.generator_cpu_pct} %, steal > ${d.contention.steal_pct} % of a core) voids its round: void ${s.contention.void_rounds.length ? s.contention.void_rounds.join(', ') : 'none'}.`,
    `- Headroom: at an arm's capacity its replicas must be throttled in ≥ ${d.headroom.throttled_pct} % of CFS periods with the machine ≥ ${d.headroom.machine_idle_pct} % idle. Verdict for the ratio's numerator: **${s.headroom.verdict}** (machine idle ≥ ${s.headroom.machine_idle_pct_min} %; ${s.headroom.saturated.join('; ')}).`,
    `- Integrity: every block has its own subjects; after draining, ${s.integrity_exact ? 'every accepted rating was counted exactly once' : '**NOT EXACT** (see lost/duplicated)'}. Freshness (202 → visible in GET): ${s.freshness_ms ? `p50 ${s.freshness_ms.p50} ms, p99 ${s.freshness_ms.p99} ms` : 'not measured'}.`,
    `- Run time ${s.duration_s} s after the stack was up; machine ${meta.machine.cpus} CPUs (${meta.machine.model}).`,
    '',
    '## Slow-request share per round',
    '',
    ...roundsTable(s, runs),
    '',
    '## Stalls',
    '',
    `Episodes of slow requests (sent less than 100 ms apart) in the clean rounds, and what was present in them (${
      runs.blocks.some((b) => b.episodes.length)
        ? 'GC and Kafka acks scraped: --diagnose'
        : 'throttling and outside load; --diagnose adds GC pauses and Kafka acks'
    }): ${runs.arms
      .map((a) => {
        const st = s.results[a.key].stalls;
        const causes = Object.entries(st.by_cause)
          .map(([cause, v]) => `${cause} ${v.requests}`)
          .join(', ');
        return `${armName(runs, a.key)} ${st.episodes_per_min} per minute, ${st.slow_requests} slow requests${causes ? ` (${causes})` : ''}`;
      })
      .join('; ')}.`,
    '',
    '## Saturation (diagnostic)',
    '',
    `The most each arm served when offered more (it is not the scaling figure: the batching producer gets cheaper per request as load rises). ${runs.arms.map((a) => `${armName(runs, a.key)}: ${s.results[a.key].saturation_rps} rps`).join('; ')}.`,
    '',
  ];
  if (meta.stoppedBy) lines.splice(2, 0, `**Stopped early: ${meta.stoppedBy}** — the figures below are what was measured.`, '');
  return lines.join('\n');
}

const LOG_MIN = 1e-4;

/** Slow-request share against offered rate, log scale, per arm: per-round blocks, pooled curve, 1 % line, crossings. */
export function shareChart(s: PairedSummary, runs: PairedRuns, budget: number): string {
  const width = 720;
  const height = 360;
  const left = 60;
  const bottom = height - 50;
  const rates = runs.arms.flatMap((a) => s.results[a.key].curve.map((p) => p.rate));
  const xMax = Math.max(10, ...rates) * 1.05;
  const sx = (x: number) => left + ((width - left - 20) * x) / xMax;
  const sy = (share: number) =>
    bottom - ((bottom - 30) * (Math.log10(Math.max(LOG_MIN, share)) - Math.log10(LOG_MIN))) / -Math.log10(LOG_MIN);
  const parts: string[] = [];
  for (const tick of [1e-4, 1e-3, 1e-2, 1e-1, 1])
    parts.push(
      `<line x1="${left}" x2="${width - 20}" y1="${round(sy(tick))}" y2="${round(sy(tick))}" stroke="#eee"/><text x="${left - 4}" y="${round(sy(tick)) + 3}" font-size="10" text-anchor="end">${tick * 100} %</text>`,
    );
  const step = Math.pow(10, Math.floor(Math.log10(xMax / 2)));
  for (let x = 0; x <= xMax; x += step)
    parts.push(`<text x="${round(sx(x))}" y="${bottom + 14}" font-size="10" text-anchor="middle">${x}</text>`);
  parts.push(
    `<line x1="${left}" x2="${width - 20}" y1="${round(sy(budget))}" y2="${round(sy(budget))}" stroke="#e15759" stroke-dasharray="4"/>`,
  );
  runs.arms.forEach((arm, i) => {
    const color = ARM_COLORS[i % ARM_COLORS.length];
    const r = s.results[arm.key];
    for (const round_ of s.rounds.filter((x) => !x.contended))
      for (const b of round_.blocks.filter((x) => x.arm === arm.key))
        parts.push(`<circle cx="${round(sx(b.rate))}" cy="${round(sy(b.slow_share))}" r="2" fill="${color}" opacity="0.35"/>`);
    const path = r.curve.map((p, j) => `${j ? 'L' : 'M'}${round(sx(p.rate))},${round(sy(p.fitted))}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of r.curve)
      parts.push(
        `<circle cx="${round(sx(p.rate))}" cy="${round(sy(p.share))}" r="4" fill="${color}"><title>${armName(runs, arm.key)}: ${p.rate} rps, ${pctText(p.share)} of ${p.requests}</title></circle>`,
      );
    if (!r.capacity_censored && r.capacity_rps > 0) {
      const y = round(sy(budget));
      parts.push(`<path d="M${round(sx(r.capacity_rps))},${y - 8} v16" stroke="${color}" stroke-width="3"/>`);
      if (r.capacity_interval)
        parts.push(
          `<path d="M${round(sx(r.capacity_interval[0]))},${y} H${round(sx(r.capacity_interval[1]))}" stroke="${color}" stroke-width="6" opacity="0.5"/>`,
        );
    }
  });
  const legend = runs.arms.map((a, i) => `<tspan fill="${ARM_COLORS[i % ARM_COLORS.length]}">■</tspan> ${armName(runs, a.key)}`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="share of slow requests against offered rate">
<text x="10" y="18" font-size="14" font-weight="bold">Requests over the objective or failed, against offered rate (log scale)</text>
<line x1="${left}" y1="${bottom}" x2="${width - 20}" y2="${bottom}" stroke="#333"/><line x1="${left}" y1="30" x2="${left}" y2="${bottom}" stroke="#333"/>
${parts.join('\n')}
<text x="${(width + left) / 2}" y="${bottom + 30}" font-size="11" text-anchor="middle">offered rate (requests/s); dashed: the ${budget * 100} % budget; bars: capacity and its 95 % interval</text>
<text x="10" y="${height - 4}" font-size="11">${legend}; small dots: one block each, large: pooled, line: pooled made non-decreasing</text>
</svg></figure>`;
}

export function renderPairedHtml(s: PairedSummary, runs: PairedRuns, meta: PairedMeta, markdown: string): string {
  const [first, ...rest] = markdown.split('\n## ');
  const charts = [
    shareChart(s, runs, meta.definitions.rounds.budget),
    barChart(
      'Saturation throughput per arm (diagnostic)',
      'rps',
      runs.arms.map((a) => ({
        label: armName(runs, a.key),
        bars: [
          { name: 'saturation', value: s.results[a.key].saturation_rps },
          { name: 'capacity', value: s.results[a.key].capacity_rps },
        ],
      })),
    ),
    barChart(
      'Per-replica share of requests',
      '%',
      runs.arms.map((a) => ({
        label: armName(runs, a.key),
        bars: Object.entries(s.results[a.key].replica_share).map(([name, v]) => ({ name, value: round(v * 100) })),
      })),
    ),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rate scaling experiment ${meta.startedAt}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}figure{margin:1.5em 0}code{background:#f4f4f4;padding:0 3px}</style>
</head><body>
${markdownToHtml(first)}
${charts[0]}
${markdownToHtml(rest.map((section) => `## ${section}`).join('\n'))}
${charts.slice(1).join('\n')}
</body></html>
`;
}
