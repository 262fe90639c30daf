import { stopService, up } from '../harness/stack';
import { auditedLoad, auditWhenSettled } from './audited-load';
import { BASE_URL, TEST_APP_ENV, TEST_REPLICAS, testStack, uniqueSubject } from './test-stack';
import { setTimeout as sleep } from 'node:timers/promises';

const log = (line: string) => process.stdout.write(`[rolling-restart] ${line}\n`);

describe('rolling restart of the API under load through nginx', () => {
  const config = testStack();

  it('fails no request and loses none when each replica is SIGTERMed in turn and restarted', async () => {
    const load = auditedLoad(BASE_URL, uniqueSubject('roll'), { workers: 8, pauseMs: 5 });
    await sleep(2000);
    for (let i = 1; i <= TEST_REPLICAS; i++) {
      const started = Date.now();
      expect(await stopService(config, `api-${i}`)).toBe('stopped');
      const stopped = Date.now();
      // What `npm run stack:up` does for a replica that is gone: start it again, wait until ready.
      await up(config, { replicas: TEST_REPLICAS, appEnv: TEST_APP_ENV });
      log(`api-${i}: stopped in ${stopped - started} ms, back in ${Date.now() - stopped} ms; ${load.outcomes.length} requests so far`);
      await sleep(1000);
    }
    const outcomes = await load.stop();

    const audit = await auditWhenSettled(BASE_URL, outcomes);
    const failures = new Map<string, number>();
    for (const o of outcomes.filter((x) => x.status !== 202)) failures.set(String(o.status), (failures.get(String(o.status)) ?? 0) + 1);
    log(
      `requests ${outcomes.length}, accepted ${audit.accepted}, failed ${audit.failed} ${JSON.stringify(Object.fromEntries(failures))}, lost ${audit.lost.length}, duplicated ${audit.duplicated.length}`,
    );

    expect(outcomes.length).toBeGreaterThan(500);
    expect(audit.failed).toBe(0);
    expect(audit.lost).toEqual([]);
    expect(audit.duplicated).toEqual([]);
  }, 400_000);
});
