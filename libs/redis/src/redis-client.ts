import Redis from 'ioredis';

/**
 * Fail fast instead of queueing: with the offline queue on, a command issued while Redis is down
 * waits for the reconnect forever, and a GET /rate would hang instead of answering 503.
 */
export function createRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  redis.on('error', onError);
  return redis;
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
