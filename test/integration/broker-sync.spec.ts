import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';
import { eventually, TEST_STACK_ENV } from './test-stack';

const MAIN = join(ROOT, 'dist', 'libs', 'kafka', 'src', 'broker-sync-main.js');
const BROKER = `127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`;

/** The Kafka readiness sidecar against the stack's real broker (node id 1). */
function startSync(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function ready(port: number): Promise<{ status: number; body: { inSync: boolean; reason: string } }> {
  const response = await fetch(`http://127.0.0.1:${port}/ready`);
  return { status: response.status, body: (await response.json()) as { inSync: boolean; reason: string } };
}

describe('the Kafka readiness sidecar (broker-sync-main)', () => {
  const started: ReturnType<typeof startSync>[] = [];
  afterAll(() => started.forEach((s) => s.child.kill('SIGTERM')));

  it('is ready for a registered broker in every ISR of the real cluster, and names an unknown one', async () => {
    const known = startSync(['--node-id', '1', '--port', '18131', '--broker', BROKER]);
    const unknown = startSync(['--node-id', '7', '--port', '18132', '--broker', BROKER]);
    started.push(known, unknown);
    await eventually('the sidecars listening', async () => /listening[\s\S]*listening/.test(known.output() + unknown.output()), Boolean);
    expect(await ready(18131)).toEqual({ status: 200, body: { inSync: true, reason: '' } });
    const answer = await ready(18132);
    expect(answer.status).toBe(503);
    expect(answer.body.reason).toMatch(/^broker 7 is not registered \(brokers: 1\)$/);
    expect((await fetch('http://127.0.0.1:18131/health')).status).toBe(404);
    // One log line per state, not per probe.
    expect(known.output().match(/"state":"in sync"/g)).toHaveLength(1);
  });

  it('is not ready while no broker answers', async () => {
    const sync = startSync(['--node-id', '1', '--port', '18133', '--broker', '127.0.0.1:1']);
    started.push(sync);
    await eventually('listening', async () => sync.output().includes('listening'), Boolean);
    const answer = await ready(18133);
    expect(answer.status).toBe(503);
    expect(answer.body.reason).toMatch(/^cannot read the cluster metadata: /);
  });

  it.each([
    [['--port', '18134'], /--node-id must be a non-negative integer/],
    [['--node-id', 'one'], /--node-id must be a non-negative integer, got "one"/],
    [['--node-id', '1', '--replicas', '3'], /unknown flag\(s\): --replicas/],
    [['--node-id'], /expected --flag value pairs/],
  ])('refuses %j with exit code 2 and a clear message', async (args, message) => {
    const sync = startSync(args);
    expect(await sync.exited).toBe(2);
    expect(sync.output()).toMatch(message);
  });
});
