import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFlags } from '../cli-args';
import { apiCpuLimitMillis } from '../stack/chart-values';
import { removeCpuQuotas } from '../stack/cpu-quota';
import { down, runningRecord } from '../stack/stack';
import { ROOT, StackConfig, stackConfig } from '../stack/stack-config';
import { BASELINE_REPLICA, startBaseline } from './baseline';
import { CpuProfile, profileWindow, WindowProfile } from './cpu-profile';
import { CpuWindow } from './process-cpu';
import { upPatiently } from './replica-run';
import { cpuPerRequestMs } from './summary';
import { vegetaDriver, writeTargets } from './vegeta';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A stack of its own (run dir and ports below the ephemeral range), so profiling never touches a
 * stack the user runs.
 */
export const PROFILE_ENV = {
  RATE_RUN_DIR: join(ROOT, '.run', 'profile'),
  RATE_NGINX_PORT: '23080',
  RATE_API_BASE_PORT: '23081',
  RATE_KAFKA_PORT: '23092',
  RATE_REDIS_PORT: '23379',
  RATE_CONSUMER_PORT: '23101',
};

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function parse(argv: string[]) {
  const options = {
    values: join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml'),
    rate: 100,
    seconds: 30,
    cpuProf: true,
    baseline: false,
  };
  const string = { type: 'string' } as const;
  const usage = 'npm run experiment -- --profile [--values FILE] [--rate N] [--seconds N] [--no-cpu-prof] [--baseline]';
  const flags = {
    values: string,
    rate: string,
    seconds: string,
    'no-cpu-prof': { type: 'boolean' },
    baseline: { type: 'boolean' },
  } as const;
  const { values, positionals } = parseFlags(argv, flags, usage);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${usage}`);
  if (values.values !== undefined) options.values = resolve(String(values.values));
  if (values.rate !== undefined) options.rate = Number(values.rate);
  if (values.seconds !== undefined) options.seconds = Number(values.seconds);
  options.cpuProf = values['no-cpu-prof'] !== true;
  options.baseline = values.baseline === true;
  if (!(options.rate > 0) || !(options.seconds > 0)) throw new Error('--rate and --seconds take positive numbers');
  return options;
}

function frames(title: string, w: WindowProfile): string[] {
  return [
    `### ${title}: JS thread busy ${w.busyPct} % of ${w.wallMs} ms`,
    '',
    '| self ms | % of wall | frame |',
    '|---|---|---|',
    ...w.top.map((f) => `| ${f.selfMs} | ${f.pctOfWall} | \`${f.frame}\` |`),
    '',
  ];
}

interface Profiled {
  /** Process trees whose CPU is measured, by component name. */
  roots: Map<string, number>;
  /** The processes whose profiles are read, by name. */
  profiled: [string, number][];
  url: string;
  stop: () => Promise<void>;
}

/** The app: one API replica and the consumer under the profiler, on a stack of its own. */
async function startApp(config: StackConfig, nodeFlags: string[], log: (line: string) => void): Promise<Profiled> {
  const stop = () => down(config, true);
  try {
    await upPatiently(config, { replicas: 1, nodeFlags, log });
  } catch (error) {
    await stop();
    throw error;
  }
  const roots = new Map<string, number>();
  for (const name of ['nginx', 'api-1', 'kafka', 'redis', 'consumer']) {
    const record = runningRecord(config, name);
    if (record) roots.set(name, record.pid);
  }
  const profiled: [string, number][] = [
    ['api-1', roots.get('api-1') ?? 0],
    ['consumer', roots.get('consumer') ?? 0],
  ];
  return { roots, profiled, url: `http://127.0.0.1:${config.nginxPort}`, stop };
}

/** The experiment's bare-Fastify baseline replica behind its nginx, under the same quota. */
async function startBare(config: StackConfig, cpuMillis: number, nodeFlags: string[], log: (line: string) => void): Promise<Profiled> {
  const baseline = await startBaseline(config, cpuMillis, log, nodeFlags);
  const stop = async () => {
    await baseline.stop();
    // No stack owns this run's cgroup: remove it here (the stack's down does for the app).
    removeCpuQuotas(config.id);
  };
  return { roots: baseline.roots, profiled: [[BASELINE_REPLICA, baseline.roots.get(BASELINE_REPLICA) ?? 0]], url: baseline.url, stop };
}

/**
 * npm run experiment -- --profile: one API replica (and the consumer) under `node --cpu-prof` on a
 * stack of its own, or with --baseline the bare-Fastify replica; CPU per component idle and at
 * `rate` req/s, CPU per request above idle, and each window's top frames from the profiles.
 * Writes reports/profile-<timestamp>/.
 */
export async function profileApi(argv: string[], log: (line: string) => void): Promise<void> {
  const options = parse(argv);
  const config = stackConfig({ ...process.env, ...PROFILE_ENV, RATE_VALUES_FILE: options.values });
  const outDir = join(ROOT, 'reports', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const profiles = join(outDir, 'profiles');
  mkdirSync(profiles, { recursive: true });
  const vegeta = join(config.toolsDir, 'bin', 'vegeta');
  if (!existsSync(vegeta)) throw new Error(`${vegeta} is missing: run npm run tools:install`);
  const cpuMillis = apiCpuLimitMillis(options.values);
  const subject = options.baseline ? 'the bare-Fastify baseline replica' : '1 API replica';
  log(`profiling ${subject} at ${cpuMillis}m: idle, then ${options.rate} rps, ${options.seconds} s each`);
  const nodeFlags = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : [];
  const target = options.baseline ? await startBare(config, cpuMillis, nodeFlags, log) : await startApp(config, nodeFlags, log);
  let windows: { idle: [number, number]; load: [number, number] };
  let cpu: { idle: Record<string, number>; load: Record<string, number> };
  try {
    const targets = join(outDir, 'targets.http');
    writeTargets(
      targets,
      target.url,
      Array.from({ length: 12 }, (_, i) => `profile-${i}`),
    );
    const drive = vegetaDriver(vegeta, targets);
    log('warm-up');
    await drive(options.rate, 5, 1, join(outDir, 'warmup'), () => undefined);
    await sleep(5000);
    const idleStart = nowUs();
    const idleWindow = new CpuWindow(target.roots);
    await sleep(options.seconds * 1000);
    const idle = idleWindow.finish();
    const idleEnd = nowUs();
    log(`idle: ${JSON.stringify(idle)}`);
    const loadStart = nowUs();
    const loadWindow = new CpuWindow(target.roots);
    const run = await drive(options.rate, options.seconds, 1, join(outDir, 'load'), () => undefined);
    const load = loadWindow.finish();
    const loadEnd = nowUs();
    log(`${options.rate} rps (p99 ${run.stats.p99Ms} ms, errors ${run.stats.errorRate}): ${JSON.stringify(load)}`);
    windows = { idle: [idleStart, idleEnd], load: [loadStart, loadEnd] };
    cpu = { idle, load };
  } finally {
    // SIGTERM: node writes its .cpuprofile on the way out.
    await target.stop();
  }
  const profileOf = (pid: number): CpuProfile | null => {
    const file = readdirSync(profiles).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
    return file ? (JSON.parse(readFileSync(join(profiles, file), 'utf8')) as CpuProfile) : null;
  };
  const perRequest = cpuPerRequestMs(cpu.load, cpu.idle, options.rate);
  const lines = [
    `# CPU profile of ${subject} — idle and at ${options.rate} rps`,
    '',
    `CPU (% of one core) idle: ${Object.entries(cpu.idle)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `CPU (% of one core) at ${options.rate} rps: ${Object.entries(cpu.load)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `CPU per request above idle: ${Object.entries(perRequest)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}.`,
    '',
    options.cpuProf
      ? 'The profiles run under `node --cpu-prof` (the sampling itself costs some CPU); the figures above are from /proc, profiler included (`--no-cpu-prof` measures without it).'
      : 'Measured without the profiler (`--no-cpu-prof`).',
    '',
  ];
  const result: Record<string, unknown> = {
    target: options.baseline ? 'baseline' : 'app',
    rate: options.rate,
    seconds: options.seconds,
    cpu,
    cpuPerRequestMs: perRequest,
  };
  for (const [name, pid] of options.cpuProf ? target.profiled : []) {
    const p = profileOf(pid);
    if (!p) {
      lines.push(`No profile found for ${name} (pid ${pid}).`, '');
      continue;
    }
    const idle = profileWindow(p, ...windows.idle);
    const load = profileWindow(p, ...windows.load);
    result[name] = { idle, load };
    lines.push(`## ${name}`, '', ...frames('idle', idle), ...frames(`${options.rate} rps`, load));
  }
  writeFileSync(join(outDir, 'profile.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'profile.md'), lines.join('\n'));
  console.log(lines.join('\n'));
  log(`written ${outDir} (profile.md, profile.json, profiles/*.cpuprofile)`);
}
