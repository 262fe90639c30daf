import { lineChart, markdownToHtml } from '../experiment/report';
import { SoakResult } from './run-soak';
import { LIMIT_HORIZON_H, mb } from './soak-stats';

const hours = (h: unknown) => (h === null ? 'never (no growth, or capped below the limit)' : `${h} h`);
const perHour = (bytes: unknown) =>
  bytes === null ? 'not measured (too few samples after the Redis restart)' : `${mb(Number(bytes))} per hour`;

export function renderMarkdown(result: SoakResult, command: string): string {
  const s = result.summary as Record<string, number | null | boolean>;
  const lines = [
    `# Soak: ${s.ok ? 'PASSED' : 'FAILED'} — ${s.minutes} min at ${s.rate} ratings/s, ${s.lost} lost, ${s.duplicated} duplicated`,
    '',
    `\`${command}\`: audited open load through nginx (3 API replicas at their chart CPU limit, 2 consumers, 1 broker), ` +
      `${Number(s.keyed_share) * 100} % of the requests with an Idempotency-Key; a consumer absence (until every partition holds 4 MiB of backlog, more than one fetch, at least 2 min and at most 35 % of the run), ` +
      'a Redis SIGKILL + restart, a rolling config change of the consumers. Every subject read back through GET /rate after the drain.',
    '',
    ...(result.problems.length ? ['**Problems:**', '', ...result.problems.map((p) => `- ${p}`), ''] : []),
    '| figure | value |',
    '|---|---|',
    `| requests / accepted (202) | ${s.requests} / ${s.accepted} (not sent by an overloaded generator: ${s.dropped_by_generator}) |`,
    `| lost / duplicated | ${s.lost} / ${s.duplicated} |`,
    `| consumer absence → catch-up | ${s.absence_s} s → ${s.catch_up_s ?? 'never'} s (bound: max(30 s, absence / 4) = ${s.catch_up_bound_s} s) |`,
    `| Redis growth | ${perHour(s.redis_bytes_per_hour)} (after the Redis restart); maxmemory ${mb(Number(s.redis_limit_bytes))}; reached in ${hours(s.hours_to_redis_limit)} |`,
    `| Kafka log growth | ${perHour(s.kafka_bytes_per_hour)}; retention caps it at ${mb(Number(s.kafka_log_ceiling_bytes))} of a ${mb(Number(s.kafka_volume_bytes))} volume: volume full in ${hours(s.hours_to_disk_limit)}; the cap holds ${s.kafka_history_hours ?? '∞'} h of ratings at this rate |`,
    '',
    `The soak fails on any lost or duplicated rating, a catch-up over its bound, or a growth that would reach a configured limit within ${LIMIT_HORIZON_H} h.`,
    `Ids of ratings with an Idempotency-Key stay in Redis for IDEMPOTENCY_WINDOW_S, so Redis grows for one window (24 h by default) and then holds: the hours above extrapolate the soak's slope, an upper bound.`,
    '',
    '## Faults',
    '',
    '| fault | at | lasted | what happened |',
    '|---|---|---|---|',
    ...result.faults.map((f) => `| ${f.name} | ${f.atS} s | ${f.durationS} s | ${f.note} |`),
    '',
    '## Files',
    '',
    '- `summary.json` — the figures above',
    '- `samples.json` — Redis used memory, Kafka log bytes and lag every 10 s',
    '- `report.html` — this report with the charts',
    '',
  ];
  return lines.join('\n');
}

export function renderHtml(result: SoakResult, markdown: string): string {
  const minutes = (t: number) => Math.round((t / 60) * 10) / 10;
  const series = (value: (s: SoakResult['samples'][number]) => number | null) =>
    result.samples.filter((s) => value(s) !== null).map((s) => ({ x: minutes(s.t), y: Math.round(value(s)! * 10) / 10 }));
  const charts = [
    lineChart('Redis used memory', 'min', 'MiB', [
      { name: 'used_memory', points: series((s) => (s.redisUsedBytes === null ? null : s.redisUsedBytes / 1024 / 1024)) },
    ]),
    lineChart('Kafka log of the ratings topics', 'min', 'MiB', [
      { name: 'log bytes', points: series((s) => s.kafkaLogBytes / 1024 / 1024) },
    ]),
    lineChart('Consumer lag', 'min', 'records', [{ name: 'lag', points: series((s) => s.lag) }]),
  ];
  return `<!doctype html><html><head><meta charset="utf-8"><title>rate soak</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}</style>
</head><body>
${markdownToHtml(markdown)}
<h2>Over time</h2>
<p>Faults: ${result.faults.map((f) => `${f.name} at ${minutes(f.atS)} min`).join('; ')}.</p>
${charts.join('\n')}
</body></html>
`;
}
