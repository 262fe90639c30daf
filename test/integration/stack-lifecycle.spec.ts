import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { join } from 'node:path';
import { processStartTime } from '../harness/stack';
import { portOpen } from '../harness/stack';
import { TEST_STACKS } from '../test-ports';
import { eventually, stackCli } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A second, separate stack driven through the CLI exactly as npm run stack:* drives it; every
 * port below Linux' ephemeral range (32768–60999), where outgoing connections could hold it.
 */
const ENV = { ...process.env, ...TEST_STACKS.lifecycle };
const PORTS = [28080, 28081, 28082, 27092, 27093, 27379, 29101];
/** The 3-broker stack's extra ports: brokers 2 and 3 with their controllers, the second consumer. */
const CLUSTER_PORTS = [27094, 27095, 27096, 27097, 29102];

// A 3-node KRaft cluster on a loaded 2-core machine may take minutes to form.
const cli = (...args: string[]) => stackCli(ENV, args, 400_000);

function row(out: string, name: string): string | undefined {
  return out.split('\n').find((line) => line.startsWith(`${name} `));
}

function pids(out: string): Map<string, number> {
  const rows = [...out.matchAll(/^(\S+)\s+(\d+)\s+\d+\s+ready$/gm)];
  return new Map(rows.map((m) => [m[1], Number(m[2])]));
}

/** Running, not a zombie waiting for a reaper that this container's pid 1 may never be. */
function alive(pid: number): boolean {
  return processStartTime(pid) !== null;
}

describe('stack:up / stack:status / stack:down', () => {
  afterAll(() => {
    cli('down', '--purge');
  });

  it('rejects a bad --replicas with a clear message', () => {
    const result = cli('up', '--replicas', 'zero');
    expect(result.status).toBe(1);
    expect(result.out).toContain('--replicas takes a positive integer, got "zero"');
  });

  it('starts, says so when already up, restarts a killed process, and stops leaving nothing behind', async () => {
    const first = cli('up', '--replicas', '2');
    expect(first.status).toBe(0);
    expect(first.out).toMatch(/ready: http:\/\/127\.0\.0\.1:28080\/rate with 2 API replica\(s\)/);
    const running = pids(first.out);
    expect([...running.keys()].sort()).toEqual(['api-1', 'api-2', 'consumer', 'kafka', 'nginx', 'redis']);

    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch('http://127.0.0.1:28080/health/ready');
      expect(response.status).toBe(200);
      answers.add(response.headers.get('x-replica') ?? '');
    }
    expect([...answers].sort()).toEqual(['api-1', 'api-2']);

    const again = cli('up', '--replicas', '2');
    expect(again.status).toBe(0);
    expect(again.out).toContain('already running with 2 API replica(s)');
    expect(pids(again.out)).toEqual(running);

    process.kill(running.get('api-2')!, 'SIGKILL');
    const status = cli('status');
    expect(status.out).toMatch(/^api-2\s+-\s+28082\s+not running$/m);
    const healed = cli('up');
    expect(healed.out).toMatch(/started api-2/);
    const after = pids(healed.out);
    expect(after.get('api-2')).not.toBe(running.get('api-2'));
    expect(after.get('kafka')).toBe(running.get('kafka'));

    const down = cli('down');
    expect(down.status).toBe(0);
    // Every process, the consumer and the API replicas included, ended on SIGTERM by itself.
    expect(down.out).toMatch(/consumer: stopped/);
    expect(down.out).toMatch(/api-1: stopped/);
    expect(down.out).not.toMatch(/killed/);
    for (const pid of after.values()) expect(alive(pid)).toBe(false);
    for (const port of PORTS) expect(await portOpen(port)).toBe(false);
    expect(existsSync(join(ENV.RATE_RUN_DIR, 'kafka', 'data', 'meta.properties'))).toBe(true);
    expect(cli('status').out).toContain('not running (npm run stack:up)');
    // Three Kafka-bearing CLI runs in a row: on a loaded machine each may take a minute or more.
  }, 600_000);

  it('runs a 3-broker cluster with 2 consumers: RF 3 / min ISR 2, heals a killed broker and consumer, scales the group, rolls an API replica', async () => {
    // The data left by the single-broker test belongs to another quorum: refused, with the way out.
    const refused = cli('up', '--brokers', '3');
    expect(refused.status).toBe(1);
    expect(refused.out).toContain('belongs to a 1-broker cluster; run npm run stack:down -- --purge before changing --brokers to 3');
    expect(cli('down', '--purge').status).toBe(0);

    const first = cli('up', '--replicas', '2', '--brokers', '3', '--consumers', '2');
    expect(first).toMatchObject({ status: 0 });
    expect(first.out).toContain('Kafka: 3 broker(s), 2 consumer(s) in the group');
    const running = pids(first.out);
    expect([...running.keys()].sort()).toEqual([
      'api-1',
      'api-2',
      'consumer',
      'consumer-2',
      'kafka',
      'kafka-2',
      'kafka-3',
      'nginx',
      'redis',
    ]);
    expect(row(first.out, 'kafka-3')).toMatch(/^kafka-3\s+\d+\s+27096\s+ready$/);
    expect(row(first.out, 'consumer-2')).toMatch(/^consumer-2\s+\d+\s+29102\s+ready$/);

    const kafka = new Kafka({ clientId: 'lifecycle', brokers: ['127.0.0.1:27094'], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: ['rates'] });
      expect(metadata.topics[0].partitions).toHaveLength(6);
      for (const partition of metadata.topics[0].partitions) expect([...partition.replicas].sort()).toEqual([1, 2, 3]);
      const configs = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rates', configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: 'min.insync.replicas', configValue: '2' });
    } finally {
      await admin.disconnect();
    }

    // Both consumers are members of the one group.
    for (const port of [29101, 29102]) expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);

    process.kill(running.get('kafka-2')!, 'SIGKILL');
    process.kill(running.get('consumer-2')!, 'SIGKILL');
    const status = cli('status');
    expect(row(status.out, 'kafka-2')).toMatch(/^kafka-2\s+-\s+27094\s+not running$/);
    expect(row(status.out, 'consumer-2')).toMatch(/^consumer-2\s+-\s+29102\s+not running$/);
    // With one broker of three down, min ISR 2 still takes writes — once Kafka has moved the
    // leadership of the dead broker's partitions (its broker session, ≈ 9 s): until then a rating
    // whose partition it led is answered 503. A 503 does not promise the rating was not written
    // (kafkajs may still deliver it), so the client retries with one Idempotency-Key, as documented.
    const key = randomUUID();
    const during = await eventually(
      'a rating accepted with kafka-2 down',
      async () =>
        (
          await fetch('http://127.0.0.1:28080/rate?rate=4&subject=lifecycle-cluster', {
            method: 'POST',
            headers: { 'idempotency-key': key },
          })
        ).status,
      (status) => status === 202,
      60_000,
    );
    expect(during).toBe(202);
    const healed = cli('up');
    expect(healed).toMatchObject({ status: 0, out: expect.stringMatching(/started kafka-2/) });
    expect(healed.out).toMatch(/started consumer-2/);
    const after = pids(healed.out);
    expect(after.get('kafka')).toBe(running.get('kafka'));
    expect(after.get('consumer')).toBe(running.get('consumer'));

    // Rolling update of one API replica: SIGTERMed, it exits by itself; stack:up brings it back.
    process.kill(after.get('api-1')!, 'SIGTERM');
    while (alive(after.get('api-1')!)) await sleep(100);
    const rolled = cli('up');
    expect(rolled.out).toMatch(/started api-1/);
    expect(pids(rolled.out).get('api-2')).toBe(after.get('api-2'));

    const scaled = cli('up', '--consumers', '1');
    expect(scaled.status).toBe(0);
    expect(scaled.out).toMatch(/consumer-2: stopped \(scaled to 1\)/);
    expect(row(scaled.out, 'consumer-2')).toBeUndefined();
    expect(alive(after.get('consumer-2')!)).toBe(false);

    // The rating accepted while a broker was down is aggregated once, by whichever consumer owns its partition.
    let count = -1;
    for (let attempt = 0; attempt < 300 && count !== 1; attempt++) {
      const read = await fetch('http://127.0.0.1:28080/rate?subject=lifecycle-cluster');
      count = ((await read.json()) as { count: number }).count;
      if (count !== 1) await sleep(200);
    }
    expect(count).toBe(1);

    const final = pids(scaled.out);
    const down = cli('down', '--purge');
    expect(down.status).toBe(0);
    // Every process stopped by its SIGTERM, except at most the last broker standing: with its
    // peers' controllers gone, its controlled shutdown cannot finish (Kafka would wait 5 minutes).
    const lastBroker = /^\[stack\] kafka(-\d)?: killed \(the last broker: no controller quorum left for its controlled shutdown\)$/;
    const stops = down.out.split('\n').filter((line) => /^\[stack\] [a-z0-9-]+: (stopped|killed)/.test(line));
    expect(stops.filter((line) => !line.endsWith(': stopped') && !lastBroker.test(line))).toEqual([]);
    expect(stops.filter((line) => lastBroker.test(line)).length).toBeLessThanOrEqual(1);
    expect(stops.filter((line) => /kafka/.test(line))).toHaveLength(3);
    for (const pid of final.values()) expect(alive(pid)).toBe(false);
    for (const port of [...PORTS, ...CLUSTER_PORTS]) expect(await portOpen(port)).toBe(false);
    expect(readdirSync(ENV.RATE_RUN_DIR).filter((entry) => entry.startsWith('kafka'))).toEqual([]);
  }, 900_000);
});
