export * from './batching-producer';
export * from './kafka-client';
export * from './topics';
