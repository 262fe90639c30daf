export * from './batching-producer';
export * from './kafka-client';
export * from './partition-audit';
export * from './producer-lifecycle';
export * from './topics';
