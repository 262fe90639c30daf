import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';
import { doorPort, portOpen } from '../harness/stack';
import { newReports, runCli } from '../harness/run-cli';
import { TEST_STACKS } from '../test-ports';

/**
 * npm run experiment -- --quick, end to end on its own stack (own run dir and ports): every file
 * of the report is produced and every block's ratings are aggregated exactly once. No speed is
 * asserted — the machine is shared.
 */
// Below Linux's ephemeral range (32768–60999): the load generator's outgoing connections took
// 38082 and 38083 from the 3-replica stack in two runs of this spec (EADDRINUSE).
const ENV = { ...process.env, ...TEST_STACKS.quickExperiment };

describe('npm run experiment -- --quick', () => {
  afterAll(async () => {
    await down(stackConfig(ENV), true);
    rmSync(ENV.RATE_RUN_DIR, { recursive: true, force: true });
  });

  it('runs the paired rounds of 1 vs 3 replicas, writes report.md, report.html, summary.json and raw results with exact integrity per block', async () => {
    const created = newReports();
    const { code, output } = await runCli('experiment', ['--quick', '--seed', '3'], ENV);
    if (code !== 0) throw new Error(`the experiment exited ${code}:\n${output.slice(-3000)}`);

    expect(output).toMatch(/\| arm \(150m CPU each\) \| capacity rps \(95 %\)/);
    expect(output).toMatch(/^\| 1 \| ([<>] )?(\d+|no clean round)/m);
    expect(output).toMatch(/^\| 3 \| ([<>] )?(\d+|no clean round)/m);
    expect(output).toMatch(/\[experiment\] round 1 \(0\/4 clean so far\): /);
    expect(output).toMatch(/\[experiment\] +arm 3 @ \d+ rps: [\d.]+ % missed/);

    const reports = created().filter((d) => !d.startsWith('bench-'));
    expect(reports).toHaveLength(1);
    const dir = join(ROOT, 'reports', reports[0]);
    for (const file of ['report.md', 'report.html', 'summary.json', 'runs.json']) expect(existsSync(join(dir, file))).toBe(true);
    expect(readdirSync(join(dir, 'raw')).some((f) => /^b\d+-round1-arm3-\d+\.bin$/.test(f))).toBe(true);

    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      cpu_limit_per_replica: '150m',
      quick: true,
      driver: 'vegeta',
      target: 'local',
      seed: 3,
      integrity_exact: true,
    });
    for (const n of ['1', '3']) {
      const r = summary.results[n];
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.aggregated).toBe(r.accepted);
      expect(r).toMatchObject({ lost: 0, duplicated: 0, blocks_with_loss: 0 });
      expect(Object.keys(r.replica_share)).toHaveLength(Number(n));
      expect(r.offered_rps).toBe(summary.results['1'].offered_rps);
      expect(summary.saturation_rps[n]).toBeGreaterThan(0);
    }
    // Judged at a capacity: with no clean round (a busy machine) there is none to judge at.
    expect(summary.headroom).toEqual({
      verdict: expect.stringMatching(/^(replica-bound|machine-bound|unattributed|not measured)$/),
      machine_idle_pct_min: summary.headroom.verdict === 'not measured' ? null : expect.any(Number),
      saturated: expect.any(Array),
    });
    expect(summary.rounds.length).toBeGreaterThanOrEqual(4);
    expect(summary.duration_s).toBeGreaterThan(0);
    expect(summary.contention).toEqual(
      expect.objectContaining({
        outside_cpu_pct_max: expect.any(Number),
        steal_cpu_pct_max: expect.any(Number),
        flagged: expect.any(Boolean),
      }),
    );
    // A shared machine may well be contended: then the ratio is withheld and the report says so.
    if (summary.contention.flagged) {
      expect(summary.capacity_ratio_3_vs_1).toBeNull();
      expect(output).toContain('**CONTENDED — no ratio printed');
    } else if (summary.capacity_ratio_3_vs_1 === null) {
      expect(output).toContain('**No ratio**: a capacity fell outside its ladder');
    } else {
      expect(output).toMatch(/\*\*R = [\d.]+\*\* \(95 % interval /);
    }
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('(log scale)');
    // The arms' front doors close with the stack the run started.
    const config = stackConfig(ENV);
    expect({ nginx: await portOpen(config.nginxPort), door: await portOpen(doorPort(config, 1)) }).toEqual({ nginx: false, door: false });
  }, 900_000);
});
