import { rowProblems } from './audit';
import { FaultDetail, FaultRow } from './chaos-types';

export interface RunInfo {
  profile: string;
  command: string;
  startedAt: string;
  durationS: number;
  cores: number;
  machineBusyPct: number;
  harnessCpuPct: number;
  loadAverage: number[];
  cgroups: string;
  stacks: string[];
  rate: number;
}

/** summary.json: exactly DESIGN.md's keys, one row per fault. */
export function summary(details: FaultDetail[]): { faults: FaultRow[] } {
  return {
    faults: details.map(({ row }) => ({
      name: row.name,
      requests: row.requests,
      accepted: row.accepted,
      failed: row.failed,
      lost: row.lost,
      duplicated: row.duplicated,
      written_despite_error: row.written_despite_error,
      api_recovery_s: row.api_recovery_s,
      consumer_catch_up_s: row.consumer_catch_up_s,
    })),
  };
}

const seconds = (value: number | null) => (value === null ? 'never' : value.toFixed(1));

const COLUMNS: [string, (d: FaultDetail) => string][] = [
  ['fault', (d) => d.row.name],
  ['requests', (d) => String(d.row.requests)],
  ['202', (d) => String(d.row.accepted)],
  ['failed', (d) => String(d.row.failed)],
  ['lost', (d) => String(d.row.lost)],
  ['duplicated', (d) => String(d.row.duplicated)],
  ['written despite error', (d) => String(d.row.written_despite_error)],
  ['API recovery s', (d) => seconds(d.row.api_recovery_s)],
  ['consumer catch-up s', (d) => seconds(d.row.consumer_catch_up_s)],
  ['verdict', (d) => verdict(d)],
];

function problemsOf(detail: FaultDetail): string[] {
  return [...(detail.error ? ['not run'] : []), ...rowProblems(detail.row, detail.zeroFailures)];
}

export function verdict(detail: FaultDetail): string {
  const problems = problemsOf(detail);
  return problems.length === 0 ? 'ok' : `FAIL: ${problems.join(', ')}`;
}

export function failed(details: FaultDetail[]): boolean {
  return details.some((d) => problemsOf(d).length > 0);
}

/** The table as aligned plain text for the terminal. */
export function consoleTable(details: FaultDetail[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...details.map((d) => COLUMNS.map(([, cell]) => cell(d)))];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 || c === r.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function markdownTable(details: FaultDetail[]): string {
  const header = `| ${COLUMNS.map(([title]) => title).join(' | ')} |`;
  const rule = `|${COLUMNS.map((_, c) => (c === 0 || c === COLUMNS.length - 1 ? '---' : '---:')).join('|')}|`;
  return [header, rule, ...details.map((d) => `| ${COLUMNS.map(([, cell]) => cell(d)).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(details: FaultDetail[], info: RunInfo): string {
  const lines = [
    `# Chaos run ${info.startedAt}`,
    '',
    `\`${info.command}\` (profile ${info.profile}) — ${failed(details) ? '**FAILED**: a rating was lost or counted twice, or the rolling update failed a request' : 'every accepted rating counted exactly once'}.`,
    '',
    markdownTable(details),
    '',
    '## How to read it',
    '',
    `- Open load through nginx at ${info.rate} requests/s, sent on schedule whatever the answers; every request has its own subject, one in four an \`Idempotency-Key\`. After the load, every subject is read back with \`GET /rate\`.`,
    '- **lost**: answered 202 but not counted once the consumer had caught up (or not within the catch-up deadline). **duplicated**: counted more than once. **written despite error**: answered with an error (503, or no answer) yet counted — a client that retries such a request with its `Idempotency-Key` must not double-count it (the retry row checks exactly that).',
    '- **API recovery**: from the fault\'s start to the first 202 after the last failed request (0: nothing failed). **consumer catch-up**: from the fault\'s end until every rating accepted up to a moment after it was visible, checked every 0.25 s with 0.5 s of normal freshness allowed (the newest rating of each partition is asked about); "never" means not within the deadline.',
    '- A supervisor plays Kubernetes during the run: once a second it restarts a process that died or whose `/health/live` answers anything but 200 (a fault holds its target down while it needs to).',
    '- Single-broker faults (freeze, long outage, blip) run on a 1-broker stack, the others on the 3-broker cluster (RF 3, min ISR 2); both with 3 API replicas and 2 consumers.',
    '',
    '## Faults',
    '',
  ];
  for (const d of details) {
    lines.push(`### ${d.row.name}`, '', `- phase: ${d.durationS.toFixed(0)} s; verdict: ${verdict(d)}`);
    if (d.error) lines.push(`- not run: ${d.error}`);
    const failures = Object.entries(d.failures);
    if (failures.length > 0) lines.push(`- failed answers: ${failures.map(([status, n]) => `${status} × ${n}`).join(', ')}`);
    for (const note of d.notes) lines.push(`- ${note}`);
    for (const [what, subjects] of Object.entries(d.examples)) {
      if (subjects.length > 0)
        lines.push(
          `- ${what} e.g.: ${subjects
            .slice(0, 5)
            .map((s) => `\`${s}\``)
            .join(', ')}`,
        );
    }
    lines.push('');
  }
  lines.push(
    '## Machine',
    '',
    `- ${info.cores} cores; busy ${info.machineBusyPct.toFixed(0)} % on average during the run (everything on the machine, not only this stack); load average at the end ${info.loadAverage.map((l) => l.toFixed(1)).join(' / ')}`,
    `- the harness itself (load generator, audit, supervisor): ${info.harnessCpuPct.toFixed(0)} % of one core`,
    `- API CPU limits: ${info.cgroups}`,
    `- stacks: ${info.stacks.join('; ')}`,
    `- run time ${Math.round(info.durationS)} s`,
    '',
  );
  return lines.join('\n');
}
