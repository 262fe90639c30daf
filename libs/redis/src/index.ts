export * from './aggregate-keys';
export * from './aggregate.repository';
export * from './redis-client';
export * from './redis.constants';
export * from './redis.indicator';
export * from './redis.module';
export * from './redis.metrics';
