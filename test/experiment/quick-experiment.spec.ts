import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';
import { portOpen } from '../harness/stack';
import { baselinePorts } from '../harness/experiment';
import { newReports, runCli } from '../harness/run-cli';
import { TEST_STACKS } from '../test-ports';

/**
 * npm run experiment -- --quick, end to end on its own stack (own run dir and ports): every file
 * of the report is produced and integrity is exact. No speed is asserted — the machine is shared.
 */
// Below Linux's ephemeral range (32768–60999): the load generator's outgoing connections took
// 38082 and 38083 from the 3-replica stack in two runs of this spec (EADDRINUSE).
const ENV = { ...process.env, ...TEST_STACKS.quickExperiment };

describe('npm run experiment -- --quick', () => {
  afterAll(async () => {
    await down(stackConfig(ENV), true);
    rmSync(ENV.RATE_RUN_DIR, { recursive: true, force: true });
  });

  it('runs 1 vs 3 replicas and the baseline, writes report.md, report.html, summary.json and raw results with exact integrity', async () => {
    const created = newReports();
    const { code, output } = await runCli('experiment', ['--quick'], ENV);
    if (code !== 0) throw new Error(`the experiment exited ${code}:\n${output.slice(-3000)}`);

    expect(output).toMatch(/\| API replicas \(250m CPU each\) \| capacity rps/);
    expect(output).toMatch(/^\| 1 \| \d+/m);
    expect(output).toMatch(/^\| 3 \| \d+/m);
    expect(output).toMatch(/\[experiment\] \[3 replica\(s\)\] capacity 1\/1: offered \d+ rps/);
    expect(output).toMatch(/^\| bare Fastify \(baseline, 1\) \| \d+/m);

    const reports = created().filter((d) => !d.startsWith('bench-'));
    expect(reports).toHaveLength(1);
    const dir = join(ROOT, 'reports', reports[0]);
    for (const file of ['report.md', 'report.html', 'summary.json', 'runs.json']) expect(existsSync(join(dir, file))).toBe(true);
    const raw = readdirSync(join(dir, 'raw'));
    expect(raw.some((f) => f.endsWith('.bin'))).toBe(true);
    expect(raw.some((f) => /^r1-open-1\.json$/.test(f))).toBe(true);
    expect(raw.some((f) => /^r3-closed-1\.wrk\.txt$/.test(f))).toBe(true);

    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ cpu_limit_per_replica: '250m', quick: true, driver: 'vegeta', integrity_exact: true });
    for (const n of ['1', '3']) {
      const r = summary.results[n];
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.aggregated).toBe(r.accepted);
      expect(r).toMatchObject({ lost: 0, duplicated: 0 });
      expect(Object.keys(r.replica_share)).toHaveLength(Number(n));
      expect(r.offered_rps).toBe(summary.results['1'].offered_rps);
    }
    for (const n of ['1', '3'])
      expect(summary.results[n]).toEqual(expect.objectContaining({ sustainable_rps: expect.any(Number), capacity_cv: expect.any(Number) }));
    expect(summary.baseline).toEqual({ capacity_rps: expect.any(Number), sustainable_rps: expect.any(Number) });
    expect(summary.contention).toEqual(
      expect.objectContaining({
        outside_cpu_pct_max: expect.any(Number),
        generator_cpu_pct_max: expect.any(Number),
        flagged: expect.any(Boolean),
      }),
    );
    // A shared machine may well be contended: then the guard must withhold the ratio and say so.
    if (summary.contention.flagged) {
      expect(summary.capacity_ratio_3_vs_1).toBeNull();
      expect(output).toContain('**CONTENDED — no ratio printed');
    } else {
      expect(typeof summary.capacity_ratio_3_vs_1).toBe('number');
      expect(summary.capacity_ratio_interval).toEqual([expect.any(Number), expect.any(Number)]);
    }
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<svg');
    // The baseline's nginx and replica are stopped with the run (its nginx once outlived it).
    const baseline = baselinePorts(stackConfig(ENV));
    expect({ nginx: await portOpen(baseline.nginx), replica: await portOpen(baseline.replica) }).toEqual({ nginx: false, replica: false });
  }, 1_500_000);
});
