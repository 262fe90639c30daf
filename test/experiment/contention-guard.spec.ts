import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentionSummary } from '../harness/experiment';
import { contentionLimits, loadDefinitions } from '../harness/experiment';
import { guardedStep, stepRunner } from '../harness/experiment';
import { vegetaDriver, writeTargets } from '../harness/experiment';
import { stackConfig } from '../harness/stack';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The contention guard against a real outside load: a busy loop on one core while vegeta holds a
 * step against a small HTTP server standing in for the stack. The guard reads /proc, so the busy
 * loop must be found as outside load (the step repeated, then flagged) — and the same loop
 * counted as the stack's own CPU once it is one of the stack's processes.
 */
const SERVER = `
  const server = require('node:http').createServer((req, res) => req.resume().on('end', () => { res.statusCode = 202; res.end('{}'); }));
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const BUSY_LOOP = 'for (;;) {}';
const STEP_S = 3;
const RATE = 50;

const defs = loadDefinitions(false);
const limits = contentionLimits(defs);
const vegeta = join(stackConfig(process.env).toolsDir, 'bin', 'vegeta');

function node(script: string): ChildProcess {
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Half a second of spinning before the step: the loop is really on a core when the probe opens. */
async function busyLoop(): Promise<ChildProcess> {
  const loop = node(BUSY_LOOP);
  await sleep(500);
  return loop;
}

describe('contention guard with a busy loop on one core', () => {
  const loops: ChildProcess[] = [];
  let dir: string;
  let server: ChildProcess;
  let targets: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rate-guard-'));
    server = node(SERVER);
    const port = await new Promise<string>((resolve) => server.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
    targets = join(dir, 'targets.txt');
    writeTargets(targets, `http://127.0.0.1:${port}`, ['guard']);
  });

  // Reaped before the next step: a child's CPU reaches this process's counters when it is reaped,
  // where the generator's measurement would count it.
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL'))));
  });

  afterAll(() => {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function step(roots: Map<string, number>, log: string[]) {
    const run = stepRunner(vegetaDriver(vegeta, targets), { roots, replicas: [] }, 1, {
      p99Ms: defs.objective.p99_ms,
      maxErrorRate: defs.objective.max_error_rate,
    });
    return guardedStep(run, { limits, retries: 1, retryPauseS: 0 }, (line) => log.push(line))(RATE, STEP_S, join(dir, 'step'));
  }

  it('repeats a step while a process outside the stack keeps a core busy, then flags it and the run', async () => {
    loops.push(await busyLoop());
    const log: string[] = [];
    const result = await step(new Map([['server', server.pid!]]), log);

    expect(result.requests).toBeGreaterThan(0);
    expect(result.contention.outsideCpuPct).toBeGreaterThan(50);
    expect(result.attempts).toBe(2);
    expect(result.contended).toMatch(new RegExp(`^outside load [\\d.]+ % of a core > ${limits.outsideCpuPct} %`));
    expect(log).toEqual([expect.stringMatching(new RegExp(`^ {2}${RATE} rps contended \\(outside load .*\\): repeating \\(2/2\\)$`))]);
    expect(contentionSummary([result], limits)).toMatchObject({ flagged: true, contended_steps: 1, repeated_steps: 1 });
  });

  it('counts the same busy loop as the stack’s own CPU when it is one of the stack’s processes', async () => {
    const loop = await busyLoop();
    loops.push(loop);
    const result = await step(
      new Map([
        ['server', server.pid!],
        ['busy', loop.pid!],
      ]),
      [],
    );

    expect(result.cpuPct.busy).toBeGreaterThan(50);
    expect(result.contention.stackCpuPct).toBeGreaterThan(50);
    // Whatever else the shared machine runs, it is not the busy loop's core counted twice.
    expect(result.contention.outsideCpuPct).toBeLessThan(50);
  });
});
