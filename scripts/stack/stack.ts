import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCpuLimitMillis } from './chart-values';
import { createCpuQuota, removeCpuQuotas } from './cpu-quota';
import { renderNginxConf } from './nginx-conf';
import { isRunning, ProcessRecord, readRecord, removeIfExists, startProcess, stopProcess } from './process-control';
import { httpStatus, portOpen, waitFor } from './readiness';
import { apiService, consumerService, kafkaService, nginxService, redisService, ServiceSpec } from './services';
import { StackConfig } from './stack-config';

export interface UpOptions {
  replicas: number;
  /** Extra environment for the API and consumer processes (names from the config schema). */
  appEnv?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** What stack:up decided about CPU limits; the experiment report states it. */
export interface StackState {
  replicas: number;
  cpuLimitMillis: number;
  cgroups: boolean;
  cgroupProblem: string | null;
  valuesFile: string;
}

export interface ServiceStatus {
  name: string;
  pid: number | null;
  port: number;
  running: boolean;
  health: string;
}

const pidFile = (config: StackConfig, name: string) => join(config.runDir, 'pids', `${name}.pid`);
const logFile = (config: StackConfig, name: string) => join(config.runDir, 'logs', `${name}.log`);
const stateFile = (config: StackConfig) => join(config.runDir, 'stack.json');

export function readState(config: StackConfig): StackState | null {
  try {
    return JSON.parse(readFileSync(stateFile(config), 'utf8')) as StackState;
  } catch {
    return null;
  }
}

export function runningRecord(config: StackConfig, name: string): ProcessRecord | null {
  const record = readRecord(pidFile(config, name));
  return isRunning(record) ? record : null;
}

function apiNames(config: StackConfig): string[] {
  const dir = join(config.runDir, 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^api-\d+\.pid$/.test(f))
    .map((f) => f.slice(0, -4))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/** Starts the service unless it already runs; waits until it is ready. Returns whether it started it. */
export async function ensureService(config: StackConfig, spec: ServiceSpec, log: (line: string) => void, cgroupProcs?: string): Promise<boolean> {
  const record = runningRecord(config, spec.name);
  if (record) {
    if (!(await spec.ready())) {
      await waitFor(spec.name, spec.ready, spec.readyTimeoutMs, () => runningRecord(config, spec.name) !== null);
    }
    return false;
  }
  if (await portOpen(spec.port)) {
    throw new Error(`port ${spec.port} for ${spec.name} is taken by a process this stack did not start (see README: ports can be overridden)`);
  }
  await spec.prepare?.();
  const launch = spec.launch();
  const started = startProcess({
    ...launch,
    cwd: config.runDir,
    logFile: logFile(config, spec.name),
    pidFile: pidFile(config, spec.name),
    cgroupProcs,
  });
  log(`started ${spec.name} (pid ${started.pid}, port ${spec.port})`);
  await waitFor(spec.name, spec.ready, spec.readyTimeoutMs, () => runningRecord(config, spec.name) !== null).catch((error: Error) => {
    throw new Error(`${error.message}; see ${logFile(config, spec.name)}`);
  });
  return true;
}

export async function stopService(config: StackConfig, name: string, timeoutMs = 30_000): Promise<string> {
  return stopProcess(pidFile(config, name), timeoutMs);
}

export function serviceSpecs(config: StackConfig, replicas: number, appEnv: NodeJS.ProcessEnv = {}) {
  return {
    kafka: kafkaService(config),
    redis: redisService(config),
    consumer: consumerService(config, appEnv),
    apis: Array.from({ length: replicas }, (_, i) => apiService(config, i + 1, appEnv)),
    nginx: nginxService(config),
  };
}

/**
 * Starts whatever of the stack is not running (a crashed or killed process comes back), leaves
 * running processes alone, and scales the API replicas to `replicas` behind nginx.
 */
export async function up(config: StackConfig, options: UpOptions): Promise<StackState> {
  const log = options.log ?? (() => undefined);
  if (!Number.isInteger(options.replicas) || options.replicas < 1 || options.replicas > 16) {
    throw new Error(`--replicas must be an integer from 1 to 16, got ${options.replicas}`);
  }
  mkdirSync(config.runDir, { recursive: true });
  const specs = serviceSpecs(config, options.replicas, options.appEnv);
  const cpuLimitMillis = apiCpuLimitMillis(config.valuesFile);

  await Promise.all([ensureService(config, specs.redis, log), ensureService(config, specs.kafka, log)]);
  await ensureService(config, specs.consumer, log);

  let cgroupProblem: string | null = null;
  await Promise.all(
    specs.apis.map((spec) => {
      const quota = createCpuQuota(config.id, spec.name, cpuLimitMillis);
      if ('error' in quota) cgroupProblem = quota.error;
      return ensureService(config, spec, log, 'error' in quota ? undefined : quota.dir);
    }),
  );
  if (cgroupProblem) log(`WARNING: API replicas run WITHOUT a CPU limit: ${cgroupProblem}`);
  const nginxDir = join(config.runDir, 'nginx');
  mkdirSync(join(nginxDir, 'tmp'), { recursive: true });
  const conf = renderNginxConf({
    dir: nginxDir,
    port: config.nginxPort,
    upstreamPorts: specs.apis.map((s) => s.port),
    runAsRoot: process.getuid?.() === 0,
  });
  const confPath = join(nginxDir, 'nginx.conf');
  const changed = !existsSync(confPath) || readFileSync(confPath, 'utf8') !== conf;
  writeFileSync(confPath, conf);
  const nginx = runningRecord(config, 'nginx');
  if (nginx && changed) {
    process.kill(nginx.pid, 'SIGHUP');
    log(`reloaded nginx with ${options.replicas} upstream(s)`);
  }
  await ensureService(config, specs.nginx, log);
  // Extra replicas go only after nginx stopped routing to them.
  for (const name of apiNames(config)) {
    if (Number(name.slice(4)) > options.replicas) {
      await stopService(config, name);
      log(`stopped ${name} (scaled to ${options.replicas})`);
    }
  }

  const state: StackState = {
    replicas: options.replicas,
    cpuLimitMillis,
    cgroups: cgroupProblem === null,
    cgroupProblem,
    valuesFile: config.valuesFile,
  };
  writeFileSync(stateFile(config), JSON.stringify(state, null, 2));
  return state;
}

/** Stops every process the stack started (nothing is left running); keeps data unless purge. */
export async function down(config: StackConfig, purge: boolean, log: (line: string) => void = () => undefined): Promise<void> {
  const order = ['nginx', ...apiNames(config), 'consumer', 'kafka', 'redis'];
  for (const name of order) {
    const result = await stopService(config, name);
    if (result !== 'not running') log(`${name}: ${result}`);
  }
  removeCpuQuotas(config.id);
  if (purge) {
    for (const dir of ['kafka', 'redis', 'nginx', 'logs', 'pids']) removeIfExists(join(config.runDir, dir));
    removeIfExists(stateFile(config));
    log(`purged ${config.runDir}`);
  }
}

export async function status(config: StackConfig): Promise<ServiceStatus[]> {
  const state = readState(config);
  const specs = serviceSpecs(config, state?.replicas ?? 0);
  const known = [specs.kafka, specs.redis, specs.consumer, ...specs.apis, specs.nginx];
  for (const name of apiNames(config)) {
    if (!known.some((s) => s.name === name)) known.push(apiService(config, Number(name.slice(4)), {}));
  }
  return Promise.all(
    known.map(async (spec) => {
      const record = runningRecord(config, spec.name);
      let health = 'not running';
      if (record) {
        if (spec.healthUrl) {
          const code = await httpStatus(spec.healthUrl);
          health = code === 200 ? 'ready' : code === null ? 'no answer' : `not ready (${code})`;
        } else {
          health = (await spec.ready()) ? 'ready' : 'not answering';
        }
      }
      return { name: spec.name, pid: record?.pid ?? null, port: spec.port, running: record !== null, health };
    }),
  );
}
