import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureRedisPassword } from './redis-conf';
import { StackConfig } from './stack-config';

/**
 * `stack:up -- --redis-cluster N`: N Redis processes with cluster-enabled, primaries only, created
 * once with `redis-cli --cluster create` (what the chart's Job runs), kept across stack:up/down by
 * each node's nodes.conf. Node n listens on redisPort + n - 1 and gossips on redisPort + 100 + n - 1
 * (Redis' default bus port, +10000, would land in the ephemeral range for the test stacks).
 */
export const REDIS_CLUSTER_NODES = { min: 3, max: 6 } as const;

export const redisNodeName = (node: number) => (node === 1 ? 'redis' : `redis-${node}`);
export const redisNodePort = (config: StackConfig, node: number) => config.redisPort + node - 1;
export const redisBusPort = (config: StackConfig, node: number) => config.redisPort + 100 + node - 1;
export const redisNodeDir = (config: StackConfig, node: number) => join(config.runDir, redisNodeName(node));

const nodes = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

/** What the apps get: the seed list (every node; one would do) and the mode. */
export function redisClusterEnv(config: StackConfig, count: number): NodeJS.ProcessEnv {
  const password = ensureRedisPassword(config);
  const seeds = nodes(count).map((n) => `redis://:${password}@127.0.0.1:${redisNodePort(config, n)}`);
  return { REDIS_MODE: 'cluster', REDIS_URL: seeds.join(',') };
}

/** A Redis formatted as a standalone server, or as a cluster of another size, cannot be reused. */
export function checkRedisShape(config: StackConfig, previous: number, wanted: number): void {
  const hasData = existsSync(join(redisNodeDir(config, 1), 'appendonlydir')) || existsSync(join(redisNodeDir(config, 1), 'nodes.conf'));
  if (!hasData || previous === wanted) return;
  const was = previous === 0 ? 'a standalone Redis' : `a ${previous}-node Redis Cluster`;
  const now = wanted === 0 ? 'a standalone Redis' : `--redis-cluster ${wanted}`;
  throw new Error(`the Redis data in ${config.runDir} belongs to ${was}; run npm run stack:down -- --purge before switching to ${now}`);
}

/** One short-lived client on node n of the stack's cluster (no redirections followed). */
export async function withRedisNode<T>(config: StackConfig, node: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port: redisNodePort(config, node),
    password: ensureRedisPassword(config),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

const info = (text: string, field: string) => new RegExp(`^${field}:(\\S+)`, 'm').exec(text)?.[1] ?? '';

/**
 * Creates the cluster when every node is empty and alone; leaves a formed one as it is; refuses a
 * half-formed one (a create interrupted midway) rather than guessing. Waits for cluster_state:ok.
 */
export async function ensureRedisCluster(config: StackConfig, count: number, toolsBin: string, log: (line: string) => void): Promise<void> {
  const states = await Promise.all(
    nodes(count).map((n) => withRedisNode(config, n, async (r) => (await r.call('CLUSTER', 'INFO')) as string)),
  );
  const assigned = states.map((s) => Number(info(s, 'cluster_slots_assigned')));
  const known = states.map((s) => Number(info(s, 'cluster_known_nodes')));
  if (assigned.every((a) => a === 0) && known.every((k) => k === 1)) {
    const addresses = nodes(count).map((n) => `127.0.0.1:${redisNodePort(config, n)}`);
    await promisify(execFile)(
      join(toolsBin, 'redis-cli'),
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        env: { ...process.env, REDISCLI_AUTH: ensureRedisPassword(config) },
      },
    );
    log(`created a Redis Cluster of ${count} primaries (${addresses.join(', ')})`);
  } else if (!(assigned.every((a) => a === 16384) && known.every((k) => k === count))) {
    throw new Error(
      `the Redis Cluster in ${config.runDir} is half formed (slots assigned per node: ${assigned.join(', ')}; nodes known: ${known.join(', ')}); run npm run stack:down -- --purge`,
    );
  }
  await waitForClusterOk(config, count);
}

async function waitForClusterOk(config: StackConfig, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      nodes(count).map((n) => withRedisNode(config, n, async (r) => info((await r.call('CLUSTER', 'INFO')) as string, 'cluster_state'))),
    );
    if (states.every((s) => s === 'ok')) return;
    if (Date.now() > deadline)
      throw new Error(`the Redis Cluster did not reach cluster_state:ok within ${timeoutMs / 1000} s (${states.join(', ')})`);
    await sleep(200);
  }
}

/** The node (1-based) serving a slot, from node 1's view of the slot map. */
export async function slotOwner(config: StackConfig, count: number, slot: number): Promise<number> {
  const ids = await Promise.all(
    nodes(count).map((n) => withRedisNode(config, n, async (r) => (await r.call('CLUSTER', 'MYID')) as string)),
  );
  const ranges = (await withRedisNode(config, 1, (r) => r.call('CLUSTER', 'SLOTS'))) as [number, number, [string, number, string]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} is served by no node`);
  return ids.indexOf(range[2][2]) + 1;
}

export async function keySlot(config: StackConfig, key: string): Promise<number> {
  return (await withRedisNode(config, 1, (r) => r.call('CLUSTER', 'KEYSLOT', key))) as number;
}

/**
 * Moves one slot to node `to` as a resharding does (IMPORTING/MIGRATING, MIGRATE in batches, then
 * SETSLOT NODE everywhere); `pauseMs` between batches keeps clients in the ASK/TRYAGAIN window
 * longer. Returns how many keys moved.
 */
export async function migrateSlot(config: StackConfig, count: number, slot: number, to: number, batch = 50, pauseMs = 0): Promise<number> {
  const from = await slotOwner(config, count, slot);
  if (from === to) return 0;
  const password = ensureRedisPassword(config);
  const id = (n: number) => withRedisNode(config, n, async (r) => (await r.call('CLUSTER', 'MYID')) as string);
  const [fromId, toId] = [await id(from), await id(to)];
  await withRedisNode(config, to, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
  await withRedisNode(config, from, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
  let moved = 0;
  for (;;) {
    const keys = (await withRedisNode(config, from, (r) => r.call('CLUSTER', 'GETKEYSINSLOT', slot, batch))) as string[];
    if (keys.length === 0) break;
    await withRedisNode(config, from, (r) =>
      r.call('MIGRATE', '127.0.0.1', redisNodePort(config, to), '', 0, 10_000, 'AUTH', password, 'KEYS', ...keys),
    );
    moved += keys.length;
    if (pauseMs > 0) await sleep(pauseMs);
  }
  // The new owner first, so no node points clients back to the old one (what redis-cli does).
  for (const n of [to, from, ...nodes(count).filter((n) => n !== to && n !== from)]) {
    await withRedisNode(config, n, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
  }
  return moved;
}
