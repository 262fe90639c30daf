export * from './batching-producer';
export * from './kafka-client';
export * from './producer-lifecycle';
export * from './topics';
