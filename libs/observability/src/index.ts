export * from './graceful-shutdown';
export * from './json-logger';
export * from './readiness';
