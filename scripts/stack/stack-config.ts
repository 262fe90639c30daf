import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root, whether this runs from dist/ or from source (ts-jest). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
    dir = dirname(dir);
  }
  return dir;
}

export const ROOT = findRoot(__dirname);

/** Fixed local ports (DESIGN.md "Local runtime"), each overridable so tests run beside a user's stack. */
export interface StackConfig {
  runDir: string;
  toolsDir: string;
  kafkaVersion: string;
  nginxPort: number;
  apiBasePort: number;
  kafkaPort: number;
  redisPort: number;
  consumerPort: number;
  valuesFile: string;
  /** Distinguishes this stack's cgroups from another stack's on the same machine. */
  id: string;
}

function envPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name}=${raw} is not a TCP port`);
  return port;
}

export function readVersions(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'scripts', 'versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  );
}

export function stackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const runDir = resolve(env.RATE_RUN_DIR || join(ROOT, '.run'));
  return {
    runDir,
    toolsDir: join(ROOT, '.tools'),
    kafkaVersion: readVersions().KAFKA_VERSION,
    nginxPort: envPort(env, 'RATE_NGINX_PORT', 8080),
    apiBasePort: envPort(env, 'RATE_API_BASE_PORT', 8081),
    kafkaPort: envPort(env, 'RATE_KAFKA_PORT', 19092),
    redisPort: envPort(env, 'RATE_REDIS_PORT', 16379),
    consumerPort: envPort(env, 'RATE_CONSUMER_PORT', 9101),
    valuesFile: resolve(env.RATE_VALUES_FILE || join(ROOT, 'charts', 'rate', 'values.yaml')),
    id: createHash('sha1').update(runDir).digest('hex').slice(0, 8),
  };
}
