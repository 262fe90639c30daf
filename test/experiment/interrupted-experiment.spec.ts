import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';
import { portOpen } from '../harness/stack';
import { baselinePorts } from '../harness/experiment';
import { TEST_STACKS } from '../test-ports';

/**
 * SIGTERM (or Ctrl-C) during npm run experiment -- --quick, on a stack of its own: the run stops
 * at the step in flight, stops what it started and writes the report of what it had measured.
 */
const ENV = { ...process.env, ...TEST_STACKS.interruptedExperiment };
const REPORTS = join(ROOT, 'reports');
const reportDirs = () =>
  existsSync(REPORTS) ? readdirSync(REPORTS).filter((d) => !d.startsWith('bench-') && !d.startsWith('profile-')) : [];

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  created: string[];
}

/** Runs the quick experiment and sends SIGTERM once a line of its output matches `when`. */
async function interruptWhen(when: RegExp): Promise<Outcome> {
  const before = new Set(reportDirs());
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'experiment', 'cli.js'), '--quick'], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let sent = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (!sent && when.test(output)) {
      sent = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  if (!sent) throw new Error(`the experiment ended before ${when} was printed:\n${output.slice(-3000)}`);
  return { code, signal, output, created: reportDirs().filter((d) => !before.has(d)) };
}

/** Processes still running whose command line names the directory (the run's load generators write into it). */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(dir)) found.push(`${pid} ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function stackPortsOpen(): Promise<Record<string, boolean>> {
  const config = stackConfig(ENV);
  const baseline = baselinePorts(config);
  return {
    nginx: await portOpen(config.nginxPort),
    api: await portOpen(config.apiBasePort),
    kafka: await portOpen(config.kafkaPort),
    baselineNginx: await portOpen(baseline.nginx),
    baselineReplica: await portOpen(baseline.replica),
  };
}

const NOTHING_OPEN = { nginx: false, api: false, kafka: false, baselineNginx: false, baselineReplica: false };

describe('npm run experiment interrupted by SIGTERM', () => {
  afterAll(async () => {
    await down(stackConfig(ENV), true);
    rmSync(ENV.RATE_RUN_DIR, { recursive: true, force: true });
  });

  it('after the first replica count: stops the baseline step in flight and the stack, writes an INCOMPLETE report with that count', async () => {
    const run = await interruptWhen(/\[experiment\] \[baseline\] warm-up/);
    if (run.code !== 143) throw new Error(`expected exit 143, got ${run.code ?? run.signal}:\n${run.output.slice(-3000)}`);
    expect(run.output).toContain('[experiment] SIGTERM: stopping the load generator');
    expect(run.output).toContain('[experiment] interrupted by SIGTERM; writing the report of what was measured');
    expect(run.output).toContain('stopped the stack it started');

    expect(run.created).toHaveLength(1);
    const dir = join(REPORTS, run.created[0]);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('INCOMPLETE — the run stopped early: interrupted by SIGTERM.');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.stopped_by).toBe('interrupted by SIGTERM');
    expect(Object.keys(summary.results)).toEqual(['1']);
    expect(summary.results['1']).toMatchObject({ lost: 0, duplicated: 0 });
    expect(summary.results['1'].aggregated).toBe(summary.results['1'].accepted);
    expect(summary.capacity_ratio_3_vs_1).toBeNull();

    expect(await stackPortsOpen()).toEqual(NOTHING_OPEN);
    expect(processesNaming(dir)).toEqual([]);
  }, 900_000);

  it('before any replica count finished: exits 143 with no report and no report directory, the stack stopped', async () => {
    const run = await interruptWhen(/\[experiment\] \[1 replica\(s\)\] starting the stack/);
    if (run.code !== 143) throw new Error(`expected exit 143, got ${run.code ?? run.signal}:\n${run.output.slice(-3000)}`);
    expect(run.output).toContain('[experiment] interrupted by SIGTERM');
    expect(run.output).toContain('stopped the stack it started');
    expect(run.created).toEqual([]);
    expect(await stackPortsOpen()).toEqual(NOTHING_OPEN);
  }, 300_000);
});
