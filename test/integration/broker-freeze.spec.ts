import { ensureService, runningRecord, stopService } from '../harness/stack';
import { consumerService } from '../harness/stack';
import { auditedLoad, eventIdsSince, topicEnds } from './audited-load';
import { eventually, postRate, TEST_APP_ENV, TEST_REPLICAS, TEST_STACK_ENV, testKafka, testStack, uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

const replicaUrls = Array.from({ length: TEST_REPLICAS }, (_, i) => `http://127.0.0.1:${Number(TEST_STACK_ENV.RATE_API_BASE_PORT) + i}`);
const replicaUrl = replicaUrls[0];
/**
 * Longer than kafkajs gives a produce request (4 attempts of the 5 s request timeout, plus
 * backoff): the batch in flight fails on the client although the frozen broker will append it
 * when it wakes up — the case where a reused sequence range is acknowledged as a duplicate or
 * wedges the partition.
 */
const FREEZE_MS = 28_000;
const AFTER_RESUME_MS = 20_000;
/** The last stretch of load must be served again: a wedged producer keeps answering 503. */
const TAIL_MS = 5_000;
const log = (line: string) => process.stdout.write(`[broker-freeze] ${line}\n`);

describe('broker frozen longer than a produce request may take', () => {
  const config = testStack();
  const kafka = testKafka();
  let frozenPid: number | null = null;

  afterAll(async () => {
    if (frozenPid !== null) process.kill(frozenPid, 'SIGCONT');
    // The consumer's own recovery after a freeze is another spec's business; restart it so the
    // specs after this one start from a consumer that is known to consume.
    await stopService(config, 'consumer');
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
  });

  it('never answers 202 for an event missing from Kafka and serves again after the broker resumes', async () => {
    const broker = runningRecord(config, 'kafka');
    expect(broker).not.toBeNull();
    // A loaded machine may still be settling from the previous spec: start from a replica that accepts.
    await eventually(
      'api-1 accepts',
      async () => (await postRate(5, uniqueSubject('freeze-warm'), replicaUrl)).status,
      (s) => s === 202,
      120_000,
    );
    const from = await topicEnds(kafka, 'rates');

    const load = auditedLoad(replicaUrl, uniqueSubject('freeze'), { workers: 8, pauseMs: 20 });
    await sleep(2000);
    process.kill(broker!.pid, 'SIGSTOP');
    frozenPid = broker!.pid;
    await sleep(FREEZE_MS);
    process.kill(broker!.pid, 'SIGCONT');
    frozenPid = null;
    const resumedAt = Date.now();
    await sleep(AFTER_RESUME_MS);
    const outcomes = await load.stop();
    const stoppedAt = Date.now();

    const accepted = outcomes.filter((o) => o.status === 202);
    const firstAfterResume = accepted.find((o) => o.sentAt >= resumedAt);
    const tail = outcomes.filter((o) => o.sentAt >= stoppedAt - TAIL_MS);
    const inKafka = await eventually(
      'records readable',
      () => eventIdsSince(kafka, 'rates', from),
      (ids) => ids.size > 0,
    );
    const lost = accepted.filter((o) => !inKafka.has(o.id!));
    const statuses = new Map<string, number>();
    for (const o of outcomes) statuses.set(String(o.status), (statuses.get(String(o.status)) ?? 0) + 1);
    log(
      `requests ${outcomes.length}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, 202 missing from Kafka ${lost.length}, ` +
        `first 202 after resume ${firstAfterResume ? `${firstAfterResume.answeredAt - resumedAt} ms` : 'never'}, ` +
        `tail ${tail.filter((o) => o.status === 202).length}/${tail.length} accepted`,
    );

    expect(accepted.length).toBeGreaterThan(0);
    expect(lost.map((o) => o.subject)).toEqual([]);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.filter((o) => o.status !== 202)).toEqual([]);
    // The idle replicas lived through the same freeze (their metadata requests timed out): each
    // accepts again too, without a restart.
    for (const url of replicaUrls.slice(1)) {
      expect(
        await eventually(
          `${url} accepts after the freeze`,
          async () => (await postRate(4, uniqueSubject('freeze-idle'), url)).status,
          (s) => s === 202,
          30_000,
        ),
      ).toBe(202);
    }
  });
});
