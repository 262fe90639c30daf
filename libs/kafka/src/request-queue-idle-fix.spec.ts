import { applyRequestQueueIdleFix, RequestQueueInternals } from './request-queue-idle-fix';
import { setTimeout as sleep } from 'node:timers/promises';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => RequestQueueInternals;

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue(): RequestQueueInternals {
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    enforceRequestTimeout: false,
    clientId: 't',
    broker: 'b',
    logger: silent,
  });
}

/** How many times checkPendingRequests runs in `ms` on an idle queue (nothing pending, no throttle). */
async function idleChecks(q: RequestQueueInternals, ms: number): Promise<number> {
  let checks = 0;
  const original = q.checkPendingRequests.bind(q);
  q.checkPendingRequests = () => {
    checks++;
    original();
  };
  q.checkPendingRequests();
  await sleep(ms);
  clearTimeout(q.throttleCheckTimeoutId ?? undefined);
  q.throttleCheckTimeoutId = null;
  return checks - 1;
}

describe('kafkajs RequestQueue idle fix', () => {
  // Runs first, before the fix is applied in this module registry: the defect the fix is for.
  it('reproduces the upstream defect: an idle queue re-arms a ~1 ms timer over and over', async () => {
    expect(await idleChecks(queue(), 200)).toBeGreaterThan(5);
  });

  it('applies to the pinned kafkajs and stops the idle 1 ms re-check loop', async () => {
    expect(applyRequestQueueIdleFix()).toBe(true);
    expect(await idleChecks(queue(), 100)).toBe(0);
  });

  it('still re-checks pending requests while the broker throttles the client', async () => {
    applyRequestQueueIdleFix();
    const q = queue();
    const sent: unknown[] = [];
    q.sendSocketRequest = (request: unknown) => sent.push(request);
    q.throttledUntil = Date.now() + 30;
    q.pending.push({ correlationId: 1 });
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await sleep(80);
    expect(sent).toHaveLength(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('is idempotent', () => {
    expect(applyRequestQueueIdleFix()).toBe(true);
    expect(applyRequestQueueIdleFix()).toBe(true);
  });
});
