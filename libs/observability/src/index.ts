export * from './graceful-shutdown';
export * from './json-logger';
export * from './readiness';
export * from './trace-context';
