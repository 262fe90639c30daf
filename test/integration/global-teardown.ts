import { down } from '../harness/stack';
import { testStack } from './test-stack';

export default async function globalTeardown(): Promise<void> {
  await down(testStack(), true, (line) => process.stdout.write(`[integration] ${line}\n`));
}
