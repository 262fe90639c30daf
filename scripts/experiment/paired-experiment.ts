import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { apiCpuLimitMillis, idempotencyWindowS } from '../stack/chart-values';
import { doorPort, down, status } from '../stack/stack';
import { ROOT, stackConfig } from '../stack/stack-config';
import { contentionLimits, loadDefinitions } from './definitions';
import { redisHeadroom } from './integrity';
import { throwIfInterrupted } from './interruption';
import { pairedHeadline, pairedTable, renderPairedHtml, renderPairedMarkdown } from './paired-report';
import { runPaired } from './paired-run';
import { buildPairedSummary, PairedMeta } from './paired-summary';
import { Arm, PairedRuns } from './paired-types';
import { stackRoots, upPatiently } from './replica-run';
import { vegetaDriver } from './vegeta';

export interface PairedOptions {
  quick: boolean;
  replicas: number[];
  values: string;
  aa: boolean;
  diagnose: boolean;
  seed: number | null;
}

/** summary.json, report.md and report.html of a paired run; the table printed at its end. */
export function writePairedReport(dir: string, meta: PairedMeta, runs: PairedRuns): string {
  const summary = buildPairedSummary(meta, runs);
  const markdown = renderPairedMarkdown(summary, runs, meta);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  writeFileSync(join(dir, 'report.html'), renderPairedHtml(summary, runs, meta, markdown));
  const stopped = meta.stoppedBy ? `Stopped early: ${meta.stoppedBy}.\n` : '';
  return `${stopped}${pairedHeadline(summary, runs, meta.definitions.rounds)}\n\n${pairedTable(summary, runs)}`;
}

/** The arms: a front door per replica count on one stack; A/A puts two doors on one replica. */
function armsFor(options: PairedOptions, nginxPort: number, door: (n: number) => number): { arms: Arm[]; replicas: number } {
  const url = (port: number) => `http://127.0.0.1:${port}`;
  if (options.aa)
    return {
      replicas: 1,
      arms: [
        { key: 'A', replicas: 1, url: url(door(1)) },
        { key: 'B', replicas: 1, url: url(nginxPort) },
      ],
    };
  const replicas = Math.max(...options.replicas);
  return {
    replicas,
    arms: options.replicas.map((n) => ({ key: String(n), replicas: n, url: url(n === replicas ? nginxPort : door(n)) })),
  };
}

/**
 * npm run experiment: the paired, interleaved rounds of DESIGN.md's scaling figure on the local
 * stack, started here (and stopped again when it was not running before).
 */
export async function pairedExperiment(options: PairedOptions, log: (line: string) => void): Promise<void> {
  const defs = loadDefinitions(options.quick);
  const startedAt = new Date().toISOString();
  const outDir = join(ROOT, 'reports', startedAt.replace(/[:.]/g, '-'));
  const rawDir = join(outDir, 'raw');
  mkdirSync(rawDir, { recursive: true });
  const config = stackConfig({ ...process.env, RATE_VALUES_FILE: options.values });
  const cpuMillis = apiCpuLimitMillis(options.values);
  const seed = options.seed ?? Math.floor(Math.random() * 1e6);
  const { arms, replicas } = armsFor(options, config.nginxPort, (n) => doorPort(config, n));
  log(
    `writing to ${outDir}; ${options.quick ? 'quick' : 'full'} ${options.aa ? 'A/A calibration' : 'run'}; arms ${arms.map((a) => a.key).join(', ')}; ${cpuMillis}m CPU per API replica; seed ${seed}`,
  );
  const wasRunning = (await status(config)).some((s) => s.running);
  const window = idempotencyWindowS(options.values);
  let runs: PairedRuns;
  let quota: { cgroups: boolean; cgroupProblem: string | null };
  try {
    log('starting the stack');
    const state = await upPatiently(config, {
      replicas,
      doors: arms.filter((a) => !a.url.endsWith(`:${config.nginxPort}`)).map((a) => a.replicas),
      appEnv: window === null ? {} : { IDEMPOTENCY_WINDOW_S: String(window) },
      log,
    });
    const full = await redisHeadroom(config);
    if (full) throw new Error(full);
    quota = { cgroups: state.cgroups, cgroupProblem: state.cgroupProblem };
    if (!state.cgroups) log(`WARNING: API replicas run WITHOUT CPU limits (${state.cgroupProblem}); the comparison is not meaningful`);
    runs = await runPaired(
      {
        config,
        defs,
        rawDir,
        roots: stackRoots(config, replicas),
        limits: contentionLimits(defs),
        driverFor: (targets) => vegetaDriver(join(config.toolsDir, 'bin', 'vegeta'), targets),
        seed,
        tag: `exp${startedAt.replace(/\D/g, '').slice(2, 14)}`,
        diagnose: options.diagnose,
        log,
      },
      arms,
      options.aa,
    );
  } catch (error) {
    // Nothing reportable was measured: keep the directory only for raw results it may hold.
    if (readdirSync(rawDir).some((f) => f.endsWith('.bin'))) log(`no round finished: no report; the raw results are in ${rawDir}`);
    else rmSync(outDir, { recursive: true });
    throw error;
  } finally {
    if (!wasRunning) {
      await down(config, false);
      log('stopped the stack it started (data kept; npm run stack:down -- --purge deletes it)');
    }
  }
  const meta: PairedMeta = {
    startedAt,
    quick: options.quick,
    driver: 'vegeta',
    target: 'local',
    cpuLimitPerReplica: `${cpuMillis}m`,
    ...quota,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    valuesFile: options.values.replace(`${ROOT}/`, ''),
    definitions: {
      objective: defs.objective,
      rounds: defs.rounds,
      headroom: defs.headroom,
      contention: defs.contention,
      sustainable: defs.sustainable,
    },
    stoppedBy: runs.stoppedBy,
  };
  writeFileSync(join(outDir, 'runs.json'), `${JSON.stringify(runs)}\n`);
  writeFileSync(join(outDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  console.log(`\n${writePairedReport(outDir, meta, runs)}\n`);
  log(`report: ${join(outDir, 'report.md')} and report.html`);
  throwIfInterrupted();
}

/** --render DIR of a paired run. */
export function renderPaired(dir: string): void {
  const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as PairedRuns;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as PairedMeta;
  // A reading rule, not a measured setting: reports written before it existed are read by today's.
  meta.definitions.rounds.interval_goal ??= loadDefinitions(meta.quick).rounds.interval_goal;
  console.log(writePairedReport(dir, meta, runs));
}
