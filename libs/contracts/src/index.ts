export * from './aggregate';
export * from './rate-event';
