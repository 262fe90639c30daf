/** Injection token of the one ioredis client each process shares (RedisModule provides it). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
