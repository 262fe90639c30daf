import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';

/** npm run soak: its own run dir and ports (below the ephemeral range), so a user's stack keeps running beside it. */
export const SOAK_STACK_ENV = {
  RATE_RUN_DIR: join(ROOT, '.run', 'soak'),
  RATE_NGINX_PORT: '30080',
  RATE_API_BASE_PORT: '30081',
  RATE_KAFKA_PORT: '30092',
  RATE_REDIS_PORT: '30379',
  RATE_CONSUMER_PORT: '30101',
};

/** The short soak of npm test (the experiment project): its own, beside the other suites' stacks. */
export const SOAK_TEST_STACK_ENV = {
  RATE_RUN_DIR: join(ROOT, '.run', 'test-soak'),
  RATE_NGINX_PORT: '31080',
  RATE_API_BASE_PORT: '31081',
  RATE_KAFKA_PORT: '31092',
  RATE_REDIS_PORT: '31379',
  RATE_CONSUMER_PORT: '31101',
};
