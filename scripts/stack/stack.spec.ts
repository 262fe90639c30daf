import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess } from './process-control';
import { StackConfig } from './stack-config';
import { down, healAction, instanceIndex, validateShape } from './stack';

describe('stack supervision', () => {
  it('starts what is not running, restarts what says it is not live, leaves the rest', () => {
    expect(healAction(false, null)).toBe('start');
    expect(healAction(true, 200)).toBe('keep');
    // Silence may be a process still starting: never restart on it.
    expect(healAction(true, null)).toBe('keep');
    expect(healAction(true, 503)).toBe('restart');
    expect(healAction(true, 500)).toBe('restart');
  });

  it('recognises instance names', () => {
    expect(instanceIndex('consumer', 'consumer', true)).toBe(1);
    expect(instanceIndex('consumer-3', 'consumer', true)).toBe(3);
    expect(instanceIndex('api-12', 'api', false)).toBe(12);
    expect(instanceIndex('api', 'api', false)).toBeNull();
    expect(instanceIndex('kafka-cluster', 'kafka', true)).toBeNull();
  });

  it.each([
    [{ replicas: 0, brokers: 1, consumers: 1 }, '--replicas must be an integer from 1 to 16, got 0'],
    [{ replicas: 3, brokers: 6, consumers: 1 }, '--brokers must be an integer from 1 to 5, got 6'],
    [{ replicas: 3, brokers: 3, consumers: 7 }, '--consumers must be an integer from 1 to 6, got 7'],
    [
      { replicas: 1, brokers: 1, consumers: 1, redisNodes: 2 },
      '--redis-cluster must be an integer from 3 to 6 (a Redis Cluster needs 3 primaries), got 2',
    ],
    [{ replicas: 1, brokers: 1, consumers: 1, redisNodes: 7 }, '--redis-cluster must be an integer from 3 to 6'],
  ])('rejects %p', (shape, message) => {
    expect(() => validateShape(shape)).toThrow(message);
  });

  describe('down, on a 3-broker cluster', () => {
    let runDir: string;
    beforeEach(() => (runDir = mkdtempSync(join(tmpdir(), 'rate-stack-down-'))));
    afterEach(() => rmSync(runDir, { recursive: true, force: true }));

    // Real processes standing in for brokers: two stop on SIGTERM; the third, like the last broker
    // of a combined KRaft quorum whose peers are gone, never finishes its controlled shutdown.
    it('stops the brokers together and kills the last one standing after a short grace, saying why', async () => {
      const config = { runDir, id: `unit-${process.pid}` } as StackConfig;
      const start = (name: string, script: string) =>
        startProcess({
          command: '/bin/sh',
          args: ['-c', script],
          env: process.env,
          cwd: runDir,
          logFile: join(runDir, 'logs', `${name}.log`),
          pidFile: join(runDir, 'pids', `${name}.pid`),
        });
      start('kafka', 'exec sleep 300');
      start('kafka-2', 'exec sleep 300');
      // It ignores SIGTERM only once its shell has run the trap: a busy machine once sent the
      // signal first, and the stand-in stopped like the others.
      start('kafka-3', "trap '' TERM; : > trapped; while :; do sleep 0.1; done");
      while (!existsSync(join(runDir, 'trapped'))) await sleep(20);
      const lines: string[] = [];
      await down(config, false, (line) => lines.push(line));
      expect(lines.sort()).toEqual([
        'kafka-2: stopped',
        'kafka-3: killed (the last broker: no controller quorum left for its controlled shutdown)',
        'kafka: stopped',
      ]);
    }, 60_000);
  });
});
