export * from './aggregate-keys';
export * from './aggregate.repository';
export * from './redis-client';
export * from './redis.indicator';
