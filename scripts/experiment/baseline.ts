import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createCpuQuota } from '../stack/cpu-quota';
import { renderNginxConf } from '../stack/nginx-conf';
import { startProcess, stopProcess } from '../stack/process-control';
import { httpStatus, waitFor } from '../stack/readiness';
import { ROOT, StackConfig } from '../stack/stack-config';

/** Where the baseline listens: beside the stack's ports, clear of the API replicas' range. */
export function baselinePorts(config: StackConfig): { nginx: number; replica: number } {
  return { nginx: config.nginxPort + 90, replica: config.nginxPort + 91 };
}

export interface RunningBaseline {
  url: string;
  /** Process trees for the probe: the replica and its balancer. */
  roots: Map<string, number>;
  replicaName: string;
  cgroups: boolean;
  stop: () => Promise<void>;
}

export const BASELINE_REPLICA = 'baseline-1';

/**
 * The bare-Fastify baseline (scripts/bench/hello-fastify.ts: 202 and a body of the same shape, no
 * Kafka) under the same CPU quota as an API replica, behind an nginx of its own rendered from the
 * same configuration as the stack's (round robin, keepalive upstream, access log), so the
 * experiment puts it through the same capacity search as the app, in the same run.
 */
export async function startBaseline(
  config: StackConfig,
  cpuMillis: number,
  log: (line: string) => void,
  nodeFlags: string[] = [],
): Promise<RunningBaseline> {
  const dir = join(config.runDir, 'baseline');
  const ports = baselinePorts(config);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const quota = createCpuQuota(config.id, BASELINE_REPLICA, cpuMillis);
  // Not <dir>/nginx.pid: nginx writes its own pid there (the rendered `pid` directive), over our
  // process record, and the baseline's nginx could then not be stopped (one outlived its run here).
  const pid = (name: string) => join(dir, `${name}.process.json`);
  const replica = startProcess({
    command: process.execPath,
    args: [...nodeFlags, join(ROOT, 'dist', 'scripts', 'bench', 'hello-fastify.js')],
    env: { PATH: process.env.PATH, PORT: String(ports.replica), NODE_ENV: 'production', REPLICA_NAME: BASELINE_REPLICA },
    cwd: dir,
    logFile: join(dir, 'replica.log'),
    pidFile: pid('replica'),
    cgroupProcs: 'error' in quota ? undefined : quota.dir,
  });
  writeFileSync(
    join(dir, 'nginx.conf'),
    renderNginxConf({ dir, port: ports.nginx, upstreamPorts: [ports.replica], runAsRoot: process.getuid?.() === 0 }),
  );
  const nginx = startProcess({
    command: join(config.toolsDir, 'bin', 'nginx'),
    args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    env: { PATH: process.env.PATH },
    cwd: dir,
    logFile: join(dir, 'nginx.log'),
    pidFile: pid('nginx'),
  });
  const stop = async () => {
    await stopProcess(pid('nginx'), 10_000);
    await stopProcess(pid('replica'), 10_000);
    if (!('error' in quota)) {
      try {
        rmdirSync(dirname(quota.dir));
      } catch {
        // the stack's own cleanup removes it later
      }
    }
  };
  const url = `http://127.0.0.1:${ports.nginx}`;
  try {
    // As long as the stack gives its own apps: under a 250m quota on a busy machine, loading
    // Fastify alone took over 30 s (CI at load 13–18).
    await waitFor(
      'baseline',
      async () => (await httpStatus(`${url}/`)) === 404,
      60_000,
      () => true,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  log(
    `baseline: bare Fastify (pid ${replica.pid}, port ${ports.replica}${'error' in quota ? ', NO CPU limit' : `, ${cpuMillis}m quota`}) behind nginx (pid ${nginx.pid}, port ${ports.nginx})`,
  );
  return {
    url,
    roots: new Map([
      ['nginx', nginx.pid],
      [BASELINE_REPLICA, replica.pid],
    ]),
    replicaName: BASELINE_REPLICA,
    cgroups: !('error' in quota),
    stop,
  };
}
