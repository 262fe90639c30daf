import Redis from 'ioredis';

export interface RedisTarget {
  url: string;
  /** '' = none, or the one in the URL. */
  password: string;
}

/**
 * Fail fast instead of queueing: with the offline queue on, a command issued while Redis is down
 * waits for the reconnect forever, and a GET /rate would hang instead of answering 503.
 */
export function createRedis({ url, password }: RedisTarget, onError: (error: Error) => void): Redis {
  const redis = new Redis(withoutPassword(url, password), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    // ioredis lets a password in the URL win over this option; withoutPassword removes it first.
    ...(password ? { password } : {}),
  });
  redis.on('error', onError);
  return redis;
}

/** REDIS_PASSWORD (from a Secret) overrides a password in REDIS_URL. */
function withoutPassword(url: string, password: string): string {
  if (!password) return url;
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** Resolves once connected; keeps retrying in the background when Redis is not up yet. */
export async function connectRedis(redis: Redis): Promise<boolean> {
  try {
    await redis.connect();
    return true;
  } catch {
    return false;
  }
}
