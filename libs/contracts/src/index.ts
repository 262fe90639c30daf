export * from './aggregate';
export * from './event-id';
export * from './rate-event';
