export * from './config.constants';
export * from './env.schema';
export * from './load-config';
