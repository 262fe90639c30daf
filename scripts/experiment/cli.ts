import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags } from '../cli-args';
import { apiCpuLimitMillis, idempotencyWindowS } from '../stack/chart-values';
import { down, readState, status } from '../stack/stack';
import { ROOT, stackConfig } from '../stack/stack-config';
import { CapacityRun } from './capacity-measurement';
import { contentionLimits, loadDefinitions } from './definitions';
import { ExperimentMeta, Runs } from './experiment-types';
import { redisHeadroom } from './integrity';
import { k6Driver } from './k6';
import { pairedExperiment, renderPaired } from './paired-experiment';
import { profileApi } from './profile';
import { measureBaseline, measureReplicaCount, RunContext, upPatiently } from './replica-run';
import { Interrupted, interruptedExitCode, throwIfInterrupted, watchInterrupts } from './interruption';
import { headlineTable, quotaStudyTable, renderHtml, renderMarkdown } from './report';
import { median } from './statistics';
import { buildSummary, Summary } from './summary';
import { vegetaDriver } from './vegeta';

const USAGE = `usage: npm run experiment -- [--quick] [--aa] [--replicas 1,3] [--values charts/rate/ci/experiment-values.yaml] [--seed N] [--diagnose]
         (the scaling figure: paired, interleaved rounds of both arms on one stack)
       npm run experiment -- --sweeps [--quick] [--replicas 1,3] [--values FILE] [--no-baseline] [--target local|k8s] [--base-url http://localhost]
         (the previous procedure: per-count p99 sweeps, closed model, bare-Fastify baseline, USL fit)
       npm run experiment -- --render reports/<timestamp>   (rebuild the report from runs.json and meta.json)
       npm run experiment -- --profile [--values FILE] [--rate 100] [--seconds 30] [--no-cpu-prof]   (CPU of an idle API replica and one under load, with profiles)
       npm run experiment -- --study reports/<a> reports/<b> ...   (the CPU-limit study: ratio against quota)`;

function parseArgs(argv: string[]) {
  const options = {
    quick: false,
    replicas: [1, 3],
    values: join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml'),
    target: 'local',
    baseUrl: '',
    baseline: true,
    sweeps: false,
    aa: false,
    diagnose: false,
    seed: null as number | null,
  };
  const string = { type: 'string' } as const;
  const { values, positionals } = parseFlags(
    argv,
    {
      quick: { type: 'boolean' },
      sweeps: { type: 'boolean' },
      aa: { type: 'boolean' },
      diagnose: { type: 'boolean' },
      seed: string,
      'no-baseline': { type: 'boolean' },
      replicas: string,
      values: string,
      target: string,
      'base-url': string,
    },
    USAGE,
  );
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  options.quick = values.quick === true;
  options.baseline = values['no-baseline'] !== true;
  options.sweeps = values.sweeps === true;
  options.aa = values.aa === true;
  options.diagnose = values.diagnose === true;
  if (values.seed !== undefined) {
    if (!/^\d{1,9}$/.test(String(values.seed))) throw new Error(`--seed takes a whole number, got ${JSON.stringify(values.seed)}`);
    options.seed = Number(values.seed);
  }
  if (options.aa && values.replicas !== undefined) throw new Error('--aa runs both arms on one replica: it takes no --replicas');
  if (values.replicas !== undefined) {
    const raw = String(values.replicas);
    if (!/^[1-9]\d*(,[1-9]\d*)*$/.test(raw)) throw new Error(`--replicas takes a list like 1,3 or 1,2,3,4,6, got ${JSON.stringify(raw)}`);
    options.replicas = [...new Set(raw.split(',').map(Number))].sort((a, b) => a - b);
  }
  if (!options.sweeps && !options.aa && options.replicas.length < 2)
    throw new Error('the paired rounds compare at least two replica counts (--replicas 1,3)');
  if (values.values !== undefined) options.values = resolve(String(values.values));
  if (values.target !== undefined) options.target = String(values.target);
  if (values['base-url'] !== undefined) options.baseUrl = String(values['base-url']).replace(/\/+$/, '');
  if (!['local', 'k8s'].includes(options.target)) throw new Error(`--target takes local or k8s, got ${JSON.stringify(options.target)}`);
  if (options.target === 'k8s' && !options.sweeps) throw new Error('--target k8s runs the --sweeps procedure for now: add --sweeps');
  if (options.sweeps && (options.aa || options.diagnose)) throw new Error('--aa and --diagnose belong to the paired rounds, not --sweeps');
  if (!options.sweeps && (values['no-baseline'] !== undefined || values['base-url'] !== undefined))
    throw new Error('--no-baseline and --base-url belong to --sweeps');
  if (options.target === 'k8s') {
    for (const tool of ['helm', 'k6']) if (!onPath(tool)) throw new Error(`--target k8s needs ${tool} on PATH`);
    options.baseUrl ||= 'http://localhost';
  }
  if (!existsSync(options.values)) throw new Error(`--values ${options.values} does not exist`);
  return options;
}

function onPath(tool: string): boolean {
  try {
    execFileSync(tool, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const log = (line: string) => console.log(`[experiment] ${line}`);

function writeReport(dir: string, meta: ExperimentMeta, runs: Runs): string {
  const summary = buildSummary(meta, runs);
  const markdown = renderMarkdown(summary, meta);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  writeFileSync(join(dir, 'report.html'), renderHtml(summary, meta, runs, markdown));
  return headlineTable(summary);
}

/** --render DIR: rebuild summary.json, report.md and report.html from a run's runs.json and meta.json. */
function render(dir: string): void {
  const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as Runs;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ExperimentMeta;
  console.log(writeReport(dir, meta, runs));
}

/** --render, --study and --profile: the commands that measure nothing new (or not the comparison). */
async function otherCommand(argv: string[]): Promise<boolean> {
  if (argv[0] === '--render') {
    const dir = resolve(argv[1] ?? '');
    if ((JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as { kind?: string }).kind === 'paired') renderPaired(dir);
    else render(dir);
    return true;
  }
  if (argv[0] === '--study') {
    const summaries = argv.slice(1).map((dir) => JSON.parse(readFileSync(join(resolve(dir), 'summary.json'), 'utf8')) as Summary);
    console.log(quotaStudyTable(summaries));
    return true;
  }
  if (argv[0] === '--profile') {
    await profileApi(argv.slice(1), log);
    return true;
  }
  return false;
}

type Options = ReturnType<typeof parseArgs>;

/** Where the run writes, what it drives, and the context each measurement gets. */
function prepareRun(options: Options) {
  const defs = loadDefinitions(options.quick);
  const startedAt = new Date().toISOString();
  const outDir = join(ROOT, 'reports', startedAt.replace(/[:.]/g, '-'));
  const rawDir = join(outDir, 'raw');
  const config = stackConfig({ ...process.env, RATE_VALUES_FILE: options.values });
  const k8s = options.target === 'k8s';
  const baseUrl = k8s ? options.baseUrl : `http://127.0.0.1:${config.nginxPort}`;
  const vegeta = join(config.toolsDir, 'bin', 'vegeta');
  const wrk = join(config.toolsDir, 'bin', 'wrk');
  // The same open scenario through k6 whenever it is installed (always on a cluster), else vegeta.
  const driver: 'k6' | 'vegeta' = k8s || onPath('k6') ? 'k6' : 'vegeta';
  for (const tool of driver === 'vegeta' ? [vegeta, wrk] : []) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run npm run tools:install (npm run experiment installs it itself)`);
  }
  const objective = { p99Ms: defs.objective.p99_ms, maxErrorRate: defs.objective.max_error_rate };
  const guard = { limits: contentionLimits(defs), retries: defs.contention.retries, retryPauseS: defs.contention.retry_pause_s };
  const window = idempotencyWindowS(options.values);
  const context = (label: string): RunContext => ({
    config,
    k8s,
    baseUrl,
    defs,
    objective,
    guard,
    rawDir,
    wrk,
    driverFor: (targets, prefix) => (driver === 'k6' ? k6Driver('k6', baseUrl, prefix, defs.subjects) : vegetaDriver(vegeta, targets)),
    log: (line) => log(`[${label}] ${line}`),
  });
  return {
    defs,
    startedAt,
    outDir,
    rawDir,
    config,
    k8s,
    vegeta,
    driver,
    guard,
    context,
    cpuMillis: apiCpuLimitMillis(options.values),
    appEnv: window === null ? {} : { IDEMPOTENCY_WINDOW_S: String(window) },
    tag: startedAt.replace(/\D/g, '').slice(2, 14),
  };
}

type Run = ReturnType<typeof prepareRun>;

/** The replica count deployed: helm on a cluster, else the local stack (and the cgroup problem it reports). */
async function deploy(run: Run, options: Options, replicas: number, label: string): Promise<string | null> {
  if (run.k8s) {
    log(`[${label}] helm upgrade --install rate ./charts/rate --set replicas=${replicas}`);
    const chart = join(ROOT, 'charts', 'rate');
    execFileSync(
      'helm',
      ['upgrade', '--install', 'rate', chart, '-f', options.values, '--set', `replicas=${replicas}`, '--wait', '--timeout', '10m'],
      {
        stdio: 'inherit',
      },
    );
    return null;
  }
  log(`[${label}] starting the stack`);
  const state = await upPatiently(run.config, { replicas, log: (l) => log(`[${label}] ${l}`), appEnv: run.appEnv });
  const full = await redisHeadroom(run.config);
  if (full) throw new Error(full);
  return state.cgroups ? null : state.cgroupProblem;
}

/** Every replica count in turn (and the baseline after the first); a failure part-way keeps what was measured. */
async function measureAll(run: Run, options: Options, runs: Runs) {
  const outcome = {
    openRate: run.defs.open.rate,
    cgroupProblem: null as string | null,
    stoppedBy: null as string | null,
    stopFailure: null as unknown,
  };
  const wasRunning = !run.k8s && (await status(run.config)).some((s) => s.running);
  try {
    for (const replicas of options.replicas) {
      throwIfInterrupted();
      const label = `${replicas} replica(s)`;
      outcome.cgroupProblem = (await deploy(run, options, replicas, label)) ?? outcome.cgroupProblem;
      const first = runs.replicas.length === 0;
      const openRateFor = (capacity: CapacityRun) => {
        // Equal offered load for every replica count: a fraction of the first (smallest) count's capacity.
        if (first) {
          const fraction = run.defs.open.fraction_of_capacity_1;
          outcome.openRate = Math.max(50, Math.round(median(capacity.sweeps.map((s) => s.capacity.rps)) * fraction));
          log(`equal offered load for every replica count: ${outcome.openRate} rps (${fraction} × capacity of ${replicas} replica(s))`);
        }
        return outcome.openRate;
      };
      runs.replicas.push(await measureReplicaCount(run.context(label), replicas, `exp${run.tag}-r${replicas}`, openRateFor));
      if (first && options.baseline && !run.k8s) {
        throwIfInterrupted();
        runs.baseline = await measureBaseline(run.context('baseline'), run.cpuMillis, replicas);
      }
    }
  } catch (error) {
    // What was measured before the failure is still written, under a headline that says so.
    if (runs.replicas.length === 0) {
      outcome.stopFailure = error;
    } else {
      outcome.stoppedBy = (error as Error).message;
      log(`${error instanceof Interrupted ? '' : 'error: '}${outcome.stoppedBy}; writing the report of what was measured`);
      process.exitCode = interruptedExitCode(error) ?? 1;
    }
  } finally {
    // Whether it finished or failed, the experiment leaves running only what was running before.
    if (!wasRunning && !run.k8s) {
      await down(run.config, false);
      log('stopped the stack it started (data kept; npm run stack:down -- --purge deletes it)');
    }
  }
  return outcome;
}

function buildMeta(run: Run, options: Options, outcome: Awaited<ReturnType<typeof measureAll>>): ExperimentMeta {
  const { defs, guard } = run;
  return {
    startedAt: run.startedAt,
    quick: options.quick,
    driver: run.driver,
    target: options.target,
    cpuLimitPerReplica: `${run.cpuMillis}m`,
    // On a cluster the kubelet enforces resources.limits; locally the stack's cgroups do.
    cgroups: run.k8s || (outcome.cgroupProblem === null && (readState(run.config)?.cgroups ?? false)),
    cgroupProblem: outcome.cgroupProblem,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    objective: defs.objective,
    sustainableTolerance: defs.sustainable.tolerance,
    openRate: outcome.openRate,
    repeats: defs.capacity.repeats,
    stepDurationS: defs.capacity.step_duration_s,
    windows: defs.capacity.windows,
    stepFactor: defs.capacity.step_factor,
    contentionLimits: { ...guard.limits, retries: guard.retries },
    valuesFile: options.values.replace(`${ROOT}/`, ''),
    stoppedBy: outcome.stoppedBy,
  };
}

/** runs.json, meta.json, the report, and the equal-load runs as vegeta's own JSON reports. */
function writeOutputs(run: Run, meta: ExperimentMeta, runs: Runs): string {
  writeFileSync(join(run.outDir, 'runs.json'), `${JSON.stringify(runs, null, 2)}\n`);
  writeFileSync(join(run.outDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  const table = writeReport(run.outDir, meta, runs);
  // Every other step stays a .bin (`vegeta report` reads it).
  for (const file of readdirSync(run.rawDir).filter((f) => /-open-\d+\.bin$/.test(f))) {
    writeFileSync(
      join(run.rawDir, file.replace(/\.bin$/, '.json')),
      execFileSync(run.vegeta, ['report', '-type=json', join(run.rawDir, file)]),
    );
  }
  return table;
}

async function main(): Promise<void> {
  if (await otherCommand(process.argv.slice(2))) return;
  const options = parseArgs(process.argv.slice(2));
  if (!options.sweeps) {
    watchInterrupts(log);
    return pairedExperiment(options, log);
  }
  const run = prepareRun(options);
  log(
    `writing to ${run.outDir}; ${options.quick ? 'quick run' : 'full run'}; replicas ${options.replicas.join(', ')}; ${run.cpuMillis}m CPU per API replica`,
  );
  const runs: Runs = { replicas: [], baseline: null };
  mkdirSync(run.rawDir, { recursive: true });
  watchInterrupts(log);
  const outcome = await measureAll(run, options, runs);
  if (outcome.stopFailure !== null) {
    // No replica count finished: no report. Keep the directory only for raw results it may hold.
    if (readdirSync(run.rawDir).some((f) => /\.(bin|txt)$/.test(f)))
      log(`no replica count finished: no report; the raw results so far are in ${run.rawDir}`);
    else rmSync(run.outDir, { recursive: true });
    throw outcome.stopFailure;
  }
  const meta = buildMeta(run, options, outcome);
  const table = writeOutputs(run, meta, runs);
  console.log('');
  console.log(table);
  console.log('');
  if (!meta.cgroups) log(`WARNING: API replicas ran WITHOUT CPU limits (${outcome.cgroupProblem}); the comparison is not meaningful`);
  log(`report: ${join(run.outDir, 'report.md')} and report.html`);
}

main().catch((error: Error) => {
  console.error(`[experiment] ${error instanceof Interrupted ? '' : 'error: '}${error.message}`);
  process.exit(interruptedExitCode(error) ?? 1);
});
