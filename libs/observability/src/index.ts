export * from './graceful-shutdown';
export * from './json-logger';
