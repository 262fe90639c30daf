import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCpuLimitMillis } from './chart-values';
import { createCpuQuota, removeCpuQuotas } from './cpu-quota';
import { renderNginxConf } from './nginx-conf';
import { isRunning, ProcessRecord, readRecord, removeIfExists, startProcess, stopProcess } from './process-control';
import { httpStatus, portOpen, waitFor } from './readiness';
import {
  apiService,
  brokerPort,
  clusterBrokers,
  groupCoordinatorAnswers,
  consumerService,
  kafkaService,
  nginxService,
  redisService,
  ServiceSpec,
  StackShape,
} from './services';
import { checkRedisShape, ensureRedisCluster, REDIS_CLUSTER_NODES, redisClusterEnv } from './redis-cluster';
import { StackConfig } from './stack-config';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UpOptions {
  replicas: number;
  /** Kafka nodes (KRaft, broker + controller each); default 1. */
  brokers?: number;
  /** Consumer processes in the group; default 1. */
  consumers?: number;
  /** 0 (default): one standalone Redis; 3..6: a Redis Cluster of that many primaries. */
  redisNodes?: number;
  /** Extra environment for the API and consumer processes (names from the config schema). */
  appEnv?: NodeJS.ProcessEnv;
  /** Node flags for the API and consumer processes (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeFlags?: string[];
  /** Extra front doors, one per replica count, to the first that many replicas (see doorPort). */
  doors?: number[];
  log?: (line: string) => void;
}

/** What stack:up decided; the next stack:up without options keeps it, the reports state it. */
export interface StackState extends StackShape {
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

export const LIMITS = { replicas: 16, brokers: 5, consumers: 6 } as const;

const pidFile = (config: StackConfig, name: string) => join(config.runDir, 'pids', `${name}.pid`);
const logFile = (config: StackConfig, name: string) => join(config.runDir, 'logs', `${name}.log`);
const stateFile = (config: StackConfig) => join(config.runDir, 'stack.json');

export function readState(config: StackConfig): StackState | null {
  try {
    const state = JSON.parse(readFileSync(stateFile(config), 'utf8')) as StackState;
    // A state written before --brokers/--consumers existed describes a single broker and consumer.
    return { ...state, brokers: state.brokers ?? 1, consumers: state.consumers ?? 1, redisNodes: state.redisNodes ?? 0 };
  } catch {
    return null;
  }
}

export function runningRecord(config: StackConfig, name: string): ProcessRecord | null {
  const record = readRecord(pidFile(config, name));
  return isRunning(record) ? record : null;
}

/** Index of a recorded instance named `base` (1) or `base-N` (N), or null for another service. */
export function instanceIndex(name: string, base: string, firstKeepsBase: boolean): number | null {
  if (firstKeepsBase && name === base) return 1;
  const match = new RegExp(`^${base}-(\\d+)$`).exec(name);
  return match ? Number(match[1]) : null;
}

/** Instances of one service with a pid file (running or left behind by a crash), by index. */
function recordedInstances(config: StackConfig, base: string, firstKeepsBase: boolean): Map<number, string> {
  const dir = join(config.runDir, 'pids');
  const found = new Map<number, string>();
  if (!existsSync(dir)) return found;
  for (const file of readdirSync(dir)) {
    const name = file.replace(/\.pid$/, '');
    const index = instanceIndex(name, base, firstKeepsBase);
    if (index !== null) found.set(index, name);
  }
  return new Map([...found].sort((a, b) => a[0] - b[0]));
}

/** What to do with a service: start it, leave it, or restart it because its liveness probe failed. */
export function healAction(running: boolean, liveStatus: number | null): 'start' | 'keep' | 'restart' {
  if (!running) return 'start';
  // No answer may be a process still starting (or frozen): only an explicit "not live" restarts.
  return liveStatus === null || liveStatus === 200 ? 'keep' : 'restart';
}

/**
 * Starts the service unless it already runs (restarts it when its liveness probe answers
 * "not live"); waits until it is ready. Returns whether it started it.
 */
export async function ensureService(
  config: StackConfig,
  spec: ServiceSpec,
  log: (line: string) => void,
  cgroupProcs?: string,
): Promise<boolean> {
  const record = runningRecord(config, spec.name);
  const liveStatus = record && spec.liveUrl ? await httpStatus(spec.liveUrl) : null;
  const action = healAction(record !== null, liveStatus);
  if (action === 'keep') {
    if (!(await spec.ready())) {
      await waitFor(spec.name, spec.ready, spec.readyTimeoutMs, () => runningRecord(config, spec.name) !== null);
    }
    return false;
  }
  if (action === 'restart') {
    log(`restarting ${spec.name}: /health/live answered ${liveStatus}`);
    await stopService(config, spec.name, spec.stopTimeoutMs);
  }
  if (!(await portFreed(spec.port))) {
    throw new Error(
      `port ${spec.port} for ${spec.name} is taken by a process this stack did not start (see README: ports can be overridden)`,
    );
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

/**
 * Whether the port is (or becomes) free: a killed JVM's main thread is reaped while its other
 * threads still hold the listening socket for a moment.
 */
async function portFreed(port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await portOpen(port)) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}

/** Ensures an API replica inside its cgroup CPU quota; returns why there is no quota, if there is none. */
export async function ensureApi(
  config: StackConfig,
  spec: ServiceSpec,
  cpuLimitMillis: number,
  log: (line: string) => void,
): Promise<string | null> {
  const quota = createCpuQuota(config.id, spec.name, cpuLimitMillis);
  await ensureService(config, spec, log, 'error' in quota ? undefined : quota.dir);
  return 'error' in quota ? quota.error : null;
}

export async function stopService(config: StackConfig, name: string, timeoutMs = 30_000, hopeless?: () => boolean): Promise<string> {
  return stopProcess(pidFile(config, name), timeoutMs, hopeless);
}

export function serviceSpecs(config: StackConfig, shape: StackShape, extraEnv: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []) {
  const redisNodes = shape.redisNodes ?? 0;
  const appEnv = redisNodes > 0 ? { ...redisClusterEnv(config, redisNodes), ...extraEnv } : extraEnv;
  return {
    brokers: Array.from({ length: shape.brokers }, (_, i) => kafkaService(config, i + 1, shape.brokers)),
    redis: redisNodes > 0 ? Array.from({ length: redisNodes }, (_, i) => redisService(config, i + 1, true)) : [redisService(config)],
    consumers: Array.from({ length: shape.consumers }, (_, i) => consumerService(config, appEnv, i + 1, shape.brokers, nodeFlags)),
    apis: Array.from({ length: shape.replicas }, (_, i) => apiService(config, i + 1, appEnv, shape.brokers, nodeFlags)),
    nginx: nginxService(config),
  };
}

export function validateShape(shape: StackShape): void {
  for (const key of ['replicas', 'brokers', 'consumers'] as const) {
    const value = shape[key];
    if (!Number.isInteger(value) || value < 1 || value > LIMITS[key]) {
      throw new Error(`--${key} must be an integer from 1 to ${LIMITS[key]}, got ${value}`);
    }
  }
  const redisNodes = shape.redisNodes ?? 0;
  if (
    redisNodes !== 0 &&
    !(Number.isInteger(redisNodes) && redisNodes >= REDIS_CLUSTER_NODES.min && redisNodes <= REDIS_CLUSTER_NODES.max)
  ) {
    throw new Error(
      `--redis-cluster must be an integer from ${REDIS_CLUSTER_NODES.min} to ${REDIS_CLUSTER_NODES.max} (a Redis Cluster needs 3 primaries), got ${redisNodes}`,
    );
  }
}

/**
 * Waits until every broker has registered (so topics with RF > 1 can be created) and the group
 * coordinator answers (describing the group creates __consumer_offsets): a consumer started
 * before that gives up with "Failed to find group coordinator".
 */
async function waitForCluster(config: StackConfig, brokers: number): Promise<void> {
  const complete = async () => {
    for (let node = 1; node <= brokers; node++) {
      const ids = await clusterBrokers(brokerPort(config, node));
      if (ids !== null) return ids.length >= brokers && (await groupCoordinatorAnswers(brokerPort(config, node)));
    }
    return false;
  };
  await waitFor(`the ${brokers}-broker Kafka cluster`, complete, 120_000, () => true);
}

/** The experiment's front door to the first `replicas` API replicas alone (nginx port + 80 + replicas). */
export const doorPort = (config: StackConfig, replicas: number) => config.nginxPort + 80 + replicas;

/**
 * Points nginx at these API ports (reloads it when the set changed); what a rollout's endpoint
 * update does. `doors` adds a front door per replica count, to the first that many ports.
 */
export function setUpstreams(
  config: StackConfig,
  ports: number[],
  log: (line: string) => void = () => undefined,
  doors: number[] = [],
): boolean {
  const nginxDir = join(config.runDir, 'nginx');
  mkdirSync(join(nginxDir, 'tmp'), { recursive: true });
  const conf = renderNginxConf({
    dir: nginxDir,
    port: config.nginxPort,
    upstreamPorts: ports,
    runAsRoot: process.getuid?.() === 0,
    doors: doors.map((n) => ({ port: doorPort(config, n), upstreamPorts: ports.slice(0, n) })),
  });
  const confPath = join(nginxDir, 'nginx.conf');
  const changed = !existsSync(confPath) || readFileSync(confPath, 'utf8') !== conf;
  writeFileSync(confPath, conf);
  const nginx = runningRecord(config, 'nginx');
  if (nginx && changed) {
    process.kill(nginx.pid, 'SIGHUP');
    log(`reloaded nginx with ${ports.length} upstream(s)`);
  }
  return changed;
}

/** The data of a stack formatted for another broker count cannot be reused: the quorum differs. */
function checkBrokerCount(config: StackConfig, brokers: number): void {
  const formatted = existsSync(join(config.runDir, 'kafka', 'data', 'meta.properties'));
  const previous = readState(config)?.brokers ?? 1;
  if (formatted && previous !== brokers) {
    throw new Error(
      `the Kafka data in ${config.runDir} belongs to a ${previous}-broker cluster; run npm run stack:down -- --purge before changing --brokers to ${brokers}`,
    );
  }
}

/**
 * Starts whatever of the stack is not running (a crashed or killed process comes back, one whose
 * liveness probe fails is restarted), leaves running processes alone, and scales the API replicas
 * behind nginx and the consumers of the group to the requested counts.
 */
export async function up(config: StackConfig, options: UpOptions): Promise<StackState> {
  const log = options.log ?? (() => undefined);
  const shape: StackShape = {
    replicas: options.replicas,
    brokers: options.brokers ?? 1,
    consumers: options.consumers ?? 1,
    redisNodes: options.redisNodes ?? 0,
  };
  validateShape(shape);
  mkdirSync(config.runDir, { recursive: true });
  checkBrokerCount(config, shape.brokers);
  checkRedisShape(config, readState(config)?.redisNodes ?? 0, shape.redisNodes ?? 0);
  const specs = serviceSpecs(config, shape, options.appEnv, options.nodeFlags);
  const cpuLimitMillis = apiCpuLimitMillis(config.valuesFile);
  const state: StackState = { ...shape, cpuLimitMillis, cgroups: true, cgroupProblem: null, valuesFile: config.valuesFile };
  // Recorded before anything starts, so a failed start is still stopped and purged as what it is.
  writeFileSync(stateFile(config), JSON.stringify(state, null, 2));

  // A KRaft quorum only forms with a majority of its controllers up: start the nodes together.
  await Promise.all([...specs.redis, ...specs.brokers].map((spec) => ensureService(config, spec, log)));
  if (shape.redisNodes) await ensureRedisCluster(config, shape.redisNodes, join(config.toolsDir, 'bin'), log);
  await waitForCluster(config, shape.brokers);
  await Promise.all(specs.consumers.map((spec) => ensureService(config, spec, log)));

  const problems = await Promise.all(specs.apis.map((spec) => ensureApi(config, spec, cpuLimitMillis, log)));
  state.cgroupProblem = problems.find((p) => p !== null) ?? null;
  state.cgroups = state.cgroupProblem === null;
  if (state.cgroupProblem) log(`WARNING: API replicas run WITHOUT a CPU limit: ${state.cgroupProblem}`);
  setUpstreams(
    config,
    specs.apis.map((s) => s.port),
    log,
    options.doors,
  );
  await ensureService(config, specs.nginx, log);
  // Extra replicas go only after nginx stopped routing to them; extra consumers leave the group on SIGTERM.
  for (const [index, name] of recordedInstances(config, 'api', false)) {
    if (index > shape.replicas) log(`${name}: ${await stopService(config, name)} (scaled to ${shape.replicas})`);
  }
  for (const [index, name] of recordedInstances(config, 'consumer', true)) {
    if (index > shape.consumers) log(`${name}: ${await stopService(config, name)} (scaled to ${shape.consumers})`);
  }
  writeFileSync(stateFile(config), JSON.stringify(state, null, 2));
  return state;
}

/** Stops every process the stack started (nothing is left running); keeps data unless purge. */
export async function down(config: StackConfig, purge: boolean, log: (line: string) => void = () => undefined): Promise<void> {
  const stop = async (name: string) => {
    const result = await stopService(config, name);
    if (result !== 'not running') log(`${name}: ${result}`);
  };
  for (const name of ['nginx', ...recordedInstances(config, 'api', false).values()]) await stop(name);
  await Promise.all([...recordedInstances(config, 'consumer', true).values()].map(stop));
  await stopBrokers(config, log);
  await Promise.all([...recordedInstances(config, 'redis', true).values()].map(stop));
  removeCpuQuotas(config.id);
  if (purge) {
    const dataDirs = existsSync(config.runDir) ? readdirSync(config.runDir).filter((d) => /^(kafka|redis)(-\d+)?$/.test(d)) : [];
    for (const dir of [...dataDirs, 'nginx', 'logs', 'pids', 'kafka-cluster.id']) removeIfExists(join(config.runDir, dir));
    removeIfExists(stateFile(config));
    log(`purged ${config.runDir}`);
  }
}

/** A broker left alone this long after its peers exited is not finishing its controlled shutdown. */
const LAST_BROKER_GRACE_MS = 5_000;

/**
 * All brokers at once: each one's controlled shutdown needs the controller quorum still up. The
 * last one standing of several cannot get it once its peers' controllers are gone (Kafka would
 * wait 5 minutes, then stop dirty): it is killed after a short grace, and its log is recovered
 * at the next start. Under load the brokers do not all get that far in step.
 */
async function stopBrokers(config: StackConfig, log: (line: string) => void): Promise<void> {
  const brokers = [...recordedInstances(config, 'kafka', true).values()];
  const running = new Set(brokers);
  let aloneSince = 0;
  const hopeless = () => {
    if (brokers.length < 2 || running.size > 1) return false;
    aloneSince ||= Date.now();
    return Date.now() - aloneSince > LAST_BROKER_GRACE_MS;
  };
  await Promise.all(
    brokers.map(async (name) => {
      const result = await stopService(config, name, undefined, hopeless);
      running.delete(name);
      if (result === 'killed' && hopeless())
        log(`${name}: killed (the last broker: no controller quorum left for its controlled shutdown)`);
      else if (result !== 'not running') log(`${name}: ${result}`);
    }),
  );
}

export async function status(config: StackConfig): Promise<ServiceStatus[]> {
  const state = readState(config);
  const shape = {
    replicas: state?.replicas ?? 0,
    brokers: state?.brokers ?? 1,
    consumers: state?.consumers ?? 1,
    redisNodes: state?.redisNodes,
  };
  const specs = serviceSpecs(config, shape);
  const known = [...specs.brokers, ...specs.redis, ...specs.consumers, ...specs.apis, specs.nginx];
  // Whatever else has a pid file (scaled away but not stopped, or a state file lost) is shown too.
  for (const [index, name] of recordedInstances(config, 'kafka', true)) {
    if (!known.some((s) => s.name === name)) known.push(kafkaService(config, index, Math.max(index, shape.brokers)));
  }
  for (const [index, name] of recordedInstances(config, 'consumer', true)) {
    if (!known.some((s) => s.name === name)) known.push(consumerService(config, {}, index, shape.brokers));
  }
  for (const [index, name] of recordedInstances(config, 'api', false)) {
    if (!known.some((s) => s.name === name)) known.push(apiService(config, index, {}, shape.brokers));
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
