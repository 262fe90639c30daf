import { setTimeout as sleep } from 'node:timers/promises';
import { keySlot, migrateSlot, redisNodeName, runningRecord, slotOwner, stackConfig } from '../harness/stack';
import { TEST_STACKS } from '../test-ports';
import { auditedLoad, auditWhenSettled, Outcome } from './audited-load';
import { eventually, postRate, readAggregate, stackCli, uniqueSubject } from './test-stack';

/**
 * The stack on a Redis Cluster of three primaries (`stack:up -- --redis-cluster 3`), its own ports
 * and run dir, driven through the CLI. Every request of the loads rates a subject of its own, and
 * every 202 must be in the aggregate exactly once, whatever the cluster does underneath.
 */
const ENV = { ...process.env, ...TEST_STACKS.redisCluster };
const config = stackConfig(ENV);
const BASE = `http://127.0.0.1:${ENV.RATE_NGINX_PORT}`;
const NODES = 3;
const PARTITIONS = 6;
const log = (line: string) => process.stdout.write(`[redis-cluster] ${line}\n`);

const cli = (...args: string[]) => stackCli(ENV, args, 300_000);

const partitionSlot = (p: number) => keySlot(config, `rate:{p${p}}:offset`);

async function audit(outcomes: Outcome[]) {
  const found = await auditWhenSettled(BASE, outcomes);
  return { ...found, lost: found.lost.length, duplicated: found.duplicated.length };
}

describe('the stack on a Redis Cluster', () => {
  let started = '';
  beforeAll(() => {
    const result = cli('up', '--replicas', '2', '--redis-cluster', String(NODES));
    started = result.out;
    if (result.status !== 0) throw new Error(`stack:up --redis-cluster ${NODES} failed:\n${result.out}`);
  }, 320_000);
  afterAll(() => {
    cli('down', '--purge');
  }, 120_000);

  it('creates the cluster once, spreads the partitions over the primaries and merges a subject across them', async () => {
    expect(started).toContain(`created a Redis Cluster of ${NODES} primaries`);
    expect(started).toContain(`Redis: a cluster of ${NODES} primaries`);
    const owners = await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => slotOwner(config, NODES, await partitionSlot(p))));
    log(`partition → node: ${owners.map((n, p) => `p${p}→${n}`).join(' ')}`);
    expect(new Set(owners).size).toBeGreaterThan(1);

    const subject = uniqueSubject('cluster');
    for (const rate of [2, 4, 9]) expect((await postRate(rate, subject, BASE)).status).toBe(202);
    const aggregate = await eventually(
      '3 ratings aggregated',
      () => readAggregate(subject, BASE),
      (a) => a.count === 3,
    );
    expect(aggregate).toMatchObject({ count: 3, sum: 15, min: 2, max: 9 });

    // A second stack:up keeps the formed cluster; another size is refused before anything starts.
    expect(cli('up').out).not.toContain('created a Redis Cluster');
    const resize = cli('up', '--redis-cluster', '4');
    expect(resize.status).toBe(1);
    expect(resize.out).toContain(
      `belongs to a ${NODES}-node Redis Cluster; run npm run stack:down -- --purge before switching to --redis-cluster 4`,
    );
  });

  it('moves every partition slot to another primary under audited load: each 202 counted once (redirections followed, retried batches fenced)', async () => {
    const load = auditedLoad(BASE, uniqueSubject('reshard'), { workers: 4, pauseMs: 10 });
    await sleep(2000);
    let moved = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const slot = await partitionSlot(p);
      const to = ((await slotOwner(config, NODES, slot)) % NODES) + 1;
      // Small batches with pauses: the batches arriving meanwhile meet the slot half moved.
      moved += await migrateSlot(config, NODES, slot, to, 10, 20);
    }
    await sleep(2000);
    const outcomes = await load.stop();
    const result = await audit(outcomes);
    log(
      `${moved} keys moved; requests ${outcomes.length}, accepted ${result.accepted}, lost ${result.lost}, duplicated ${result.duplicated}`,
    );
    expect(moved).toBeGreaterThan(0);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, failed: 0 });
    expect(result.accepted).toBeGreaterThan(100);
  });

  it('a primary SIGKILLed: 202s go on, GET /rate answers 503 while it is away, and after its restart each 202 is counted once', async () => {
    const node = await slotOwner(config, NODES, await partitionSlot(0));
    const record = runningRecord(config, redisNodeName(node));
    expect(record).not.toBeNull();
    const load = auditedLoad(BASE, uniqueSubject('primary-kill'), { workers: 4, pauseMs: 10 });
    await sleep(2000);
    process.kill(record!.pid, 'SIGKILL');
    const probe = uniqueSubject('probe');
    const away = await eventually(
      'GET /rate refused',
      async () => (await fetch(`${BASE}/rate?subject=${probe}`)).status,
      (s) => s === 503,
      15_000,
    );
    // Past cluster-node-timeout (5 s): the others mark it failed; with no replica, its slots wait for it.
    await sleep(7000);
    const restart = cli('up');
    expect({ status: restart.status, out: restart.out }).toMatchObject({ status: 0 });
    expect(restart.out).toContain(`started ${redisNodeName(node)}`);
    await sleep(3000);
    const outcomes = await load.stop();
    const result = await audit(outcomes);
    log(
      `node ${node} killed: requests ${outcomes.length}, accepted ${result.accepted}, lost ${result.lost}, duplicated ${result.duplicated}`,
    );
    expect(away).toBe(503);
    expect(result).toMatchObject({ lost: 0, duplicated: 0, failed: 0 });
    expect((await fetch(`${BASE}/rate?subject=${probe}`)).status).toBe(200);
  });
});
