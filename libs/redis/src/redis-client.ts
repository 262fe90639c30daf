import Redis, { Cluster, ClusterNode } from 'ioredis';
import { redisUrls } from '@rate/config';
import type { RedisMode } from '@rate/config';

/** A standalone Redis or a Redis Cluster: the repository, health and metrics take either. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** One URL, or (cluster) a comma list of seed nodes. */
  url: string;
  /** '' = none, or the one in the URL. */
  password: string;
  mode: RedisMode;
}

const COMMAND_TIMEOUTS = { commandTimeout: 2000, connectTimeout: 2000, maxRetriesPerRequest: 1 };

/**
 * Fail fast instead of queueing: with the offline queue on, a command issued while Redis is down
 * waits for the reconnect forever, and a GET /rate would hang instead of answering 503.
 */
export function createRedis(target: RedisTarget, onError: (error: Error) => void): RedisClient {
  const redis = target.mode === 'cluster' ? createCluster(target) : createStandalone(target);
  redis.on('error', onError);
  return redis;
}

function createStandalone({ url, password }: RedisTarget): Redis {
  return new Redis(withoutPassword(url, password), {
    lazyConnect: true,
    enableOfflineQueue: false,
    ...COMMAND_TIMEOUTS,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    // ioredis lets a password in the URL win over this option; withoutPassword removes it first.
    ...(password ? { password } : {}),
  });
}

/**
 * The seeds only introduce the cluster: the client asks them for the slot map and sends each
 * command to its slot's primary, over one connection per node. No pipelines (auto or explicit):
 * ioredis groups a pipeline by node when it is queued, and once a resharding moved one of its
 * slots the pipeline is refused ("same slots allocation group") on every retry — the consumer
 * stalled on two partitions that way. MOVED/ASK are followed per command; TRYAGAIN (a multi-key
 * script while its slot is moving) is retried for up to 16 × 200 ms, then the batch fails and the
 * consumer retries it whole, which the stored offset fences.
 */
function createCluster({ url, password }: RedisTarget): Cluster {
  const seeds = redisUrls(url).map((u) => new URL(u));
  const first = seeds[0];
  const nodes: ClusterNode[] = seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) }));
  return new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    retryDelayOnTryAgain: 200,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    slotsRefreshTimeout: 2000,
    redisOptions: {
      ...COMMAND_TIMEOUTS,
      username: decodeURIComponent(first.username) || undefined,
      password: password || decodeURIComponent(first.password) || undefined,
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}

/** REDIS_PASSWORD (from a Secret) overrides a password in REDIS_URL. */
function withoutPassword(url: string, password: string): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** Resolves once connected; keeps retrying in the background when Redis is not up yet. */
export async function connectRedis(redis: RedisClient): Promise<boolean> {
  try {
    await redis.connect();
    return true;
  } catch {
    return false;
  }
}

/**
 * The primaries to ask about memory: each of a cluster's (one full primary refuses the writes of
 * its slots), or the one Redis.
 */
export function primaries(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
