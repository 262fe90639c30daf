import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';
import { doorPort, portOpen } from '../harness/stack';
import { TEST_STACKS } from '../test-ports';

/**
 * SIGTERM (or Ctrl-C) during npm run experiment -- --quick, on a stack of its own: the run stops
 * at the block in flight, stops what it started and writes the report of what it had measured.
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
  return {
    nginx: await portOpen(config.nginxPort),
    door: await portOpen(doorPort(config, 1)),
    api: await portOpen(config.apiBasePort),
    kafka: await portOpen(config.kafkaPort),
  };
}

const NOTHING_OPEN = { nginx: false, door: false, api: false, kafka: false };

describe('npm run experiment interrupted by SIGTERM', () => {
  afterAll(async () => {
    await down(stackConfig(ENV), true);
    rmSync(ENV.RATE_RUN_DIR, { recursive: true, force: true });
  });

  it('during the rounds: stops the block in flight and the stack, audits and reports what was measured as stopped early', async () => {
    const run = await interruptWhen(/\[experiment\] +arm \w+ @ \d+ rps: .*\n(.|\n)*\[experiment\] +arm \w+ @ \d+ rps: /);
    if (run.code !== 143) throw new Error(`expected exit 143, got ${run.code ?? run.signal}:\n${run.output.slice(-3000)}`);
    expect(run.output).toContain('[experiment] SIGTERM: stopping the load generator');
    expect(run.output).toContain('[experiment] interrupted by SIGTERM; auditing and reporting what was measured');
    expect(run.output).toContain('stopped the stack it started');

    expect(run.created).toHaveLength(1);
    const dir = join(REPORTS, run.created[0]);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('**Stopped early: interrupted by SIGTERM**');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.stopped_by).toBe('interrupted by SIGTERM');
    for (const n of ['1', '3']) {
      expect(summary.results[n]).toMatchObject({ lost: 0, duplicated: 0 });
      expect(summary.results[n].aggregated).toBe(summary.results[n].accepted);
    }
    expect(summary.capacity_ratio_3_vs_1).toBeNull();

    expect(await stackPortsOpen()).toEqual(NOTHING_OPEN);
    expect(processesNaming(dir)).toEqual([]);
  }, 900_000);

  it('before any round: exits 143 with no report and no report directory, the stack stopped', async () => {
    const run = await interruptWhen(/\[experiment\] starting the stack/);
    if (run.code !== 143) throw new Error(`expected exit 143, got ${run.code ?? run.signal}:\n${run.output.slice(-3000)}`);
    expect(run.output).toContain('[experiment] interrupted by SIGTERM');
    expect(run.output).toContain('stopped the stack it started');
    expect(run.created).toEqual([]);
    expect(await stackPortsOpen()).toEqual(NOTHING_OPEN);
  }, 300_000);
});
