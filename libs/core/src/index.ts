export * from './core.module';
export * from './run-main';
