import { up } from '../harness/stack';
import { TEST_APP_ENV, TEST_REPLICAS, testStack } from './test-stack';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  process.stdout.write('\n[integration] starting the test stack (Kafka, Redis, consumer, 3 API replicas, nginx)\n');
  await up(testStack(), { replicas: TEST_REPLICAS, appEnv: TEST_APP_ENV, log: (line) => process.stdout.write(`[integration] ${line}\n`) });
  process.stdout.write(`[integration] stack ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
