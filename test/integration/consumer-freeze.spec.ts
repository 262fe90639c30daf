import { ensureService, runningRecord, stopService } from '../harness/stack';
import { consumerService } from '../harness/stack';
import { auditedLoad, auditWhenSettled } from './audited-load';
import { BASE_URL, eventually, postRate, TEST_APP_ENV, TEST_STACK_ENV, testStack, uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

/** Longer than the consumer's session timeout (10 s): the group forgets the member meanwhile. */
const FREEZE_MS = 13_000;
const consumerUrl = `http://127.0.0.1:${TEST_STACK_ENV.RATE_CONSUMER_PORT}`;
const log = (line: string) => process.stdout.write(`[consumer-freeze] ${line}\n`);

describe('broker frozen longer than the consumer session (SIGSTOP, then SIGCONT)', () => {
  const config = testStack();
  let frozenPid: number | null = null;

  afterAll(async () => {
    if (frozenPid !== null) process.kill(frozenPid, 'SIGCONT');
    // A consumer left stuck by a failed run must not spoil the specs after this one.
    if (
      (await fetch(`${consumerUrl}/health/ready`)
        .then((r) => r.status)
        .catch(() => 0)) !== 200
    )
      await stopService(config, 'consumer');
    await ensureService(config, consumerService(config, TEST_APP_ENV), () => undefined);
  });

  it('the consumer rejoins its group by itself and aggregates every accepted rating exactly once', async () => {
    const consumer = runningRecord(config, 'consumer');
    const kafka = runningRecord(config, 'kafka');
    expect(consumer).not.toBeNull();
    expect(kafka).not.toBeNull();
    await eventually(
      'the API accepts',
      async () => (await postRate(5, uniqueSubject('freeze-warm'))).status,
      (s) => s === 202,
      120_000,
    );

    const load = auditedLoad(BASE_URL, uniqueSubject('consumer-freeze'), { workers: 8, pauseMs: 20 });
    await sleep(3000);
    process.kill(kafka!.pid, 'SIGSTOP');
    frozenPid = kafka!.pid;
    await sleep(FREEZE_MS);
    process.kill(kafka!.pid, 'SIGCONT');
    frozenPid = null;
    const resumedAt = Date.now();
    await sleep(8000);
    const outcomes = await load.stop();

    const audit = await auditWhenSettled(BASE_URL, outcomes);
    const live = await fetch(`${consumerUrl}/health/live`)
      .then((r) => r.status)
      .catch(() => 0);
    log(
      `requests ${outcomes.length}, accepted ${audit.accepted}, lost ${audit.lost.length}, duplicated ${audit.duplicated.length}, written despite error ${audit.writtenDespiteError}, live ${live}`,
    );
    expect({ lost: audit.lost.length, duplicated: audit.duplicated.length }).toEqual({ lost: 0, duplicated: 0 });
    // Accepted before and after the freeze, and aggregated without restarting the consumer.
    expect(outcomes.filter((o) => o.status === 202 && o.sentAt < resumedAt - FREEZE_MS).length).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o.status === 202 && o.sentAt > resumedAt).length).toBeGreaterThan(10);
    expect(runningRecord(config, 'consumer')).toEqual(consumer);
    expect(live).toBe(200);
  });
});
