import { Producer, ProducerRecord } from 'kafkajs';
import { ProduceUnavailableError } from './batching-producer';
import { ProducerLifecycle, ProducerLifecycleEvent } from './producer-lifecycle';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A stand-in for one kafkajs idempotent producer: its own producer id, and a sequence counter that,
 * like kafkajs, is rolled back when a send fails.
 */
class FakeProducer {
  readonly sent: { record: ProducerRecord; firstSequence: number }[] = [];
  connected = false;
  disconnected = false;
  sequence = 0;
  private pending: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly producerId: number,
    private readonly connectErrors: Error[],
  ) {}

  connectAttempts = 0;

  connect(): Promise<void> {
    this.connectAttempts++;
    const error = this.connectErrors.shift();
    if (error) return Promise.reject(error);
    this.connected = true;
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.disconnected = true;
    return Promise.resolve();
  }

  send(record: ProducerRecord): Promise<never[]> {
    if (this.disconnected) return Promise.reject(new Error('send on a retired producer'));
    const firstSequence = this.sequence;
    this.sequence += record.messages.length;
    this.sent.push({ record, firstSequence });
    return new Promise((resolve, reject) =>
      this.pending.push({
        resolve: () => resolve([]),
        reject: (e) => {
          this.sequence -= record.messages.length;
          reject(e);
        },
      }),
    );
  }

  ack(): void {
    this.pending.shift()?.resolve();
  }

  fail(message: string): void {
    this.pending.shift()?.reject(new Error(message));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const record = (value: string): ProducerRecord => ({ topic: 'rates', acks: -1, messages: [{ value }] });
/** One record through sendEach, as a promise of its own. */
async function sendOne(lifecycle: ProducerLifecycle, one: ProducerRecord) {
  const [result] = await lifecycle.sendEach([one]);
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** connectErrors[n]: the errors the n-th producer's connect attempts fail with, in turn. */
function setup(connectErrors: Error[][] = [], maxReplaceDelayMs = 1000, sendTimeoutMs?: number) {
  const created: FakeProducer[] = [];
  const events: ProducerLifecycleEvent[] = [];
  let now = 1_000;
  const lifecycle = new ProducerLifecycle(
    () => {
      const fake = new FakeProducer(created.length + 1, [...(connectErrors[created.length] ?? [])]);
      created.push(fake);
      return fake as unknown as Producer;
    },
    { reconnectDelayMs: 20, maxReplaceDelayMs, sendTimeoutMs, onEvent: (e) => events.push(e) },
    () => now,
  );
  return { lifecycle, created, events, advance: (ms: number) => (now += ms) };
}

describe('ProducerLifecycle', () => {
  it('sends on one producer while its sends succeed', async () => {
    const { lifecycle, created } = setup();
    expect(await lifecycle.start()).toBe(true);
    const first = sendOne(lifecycle, record('1'));
    await tick();
    created[0].ack();
    await first;
    const second = sendOne(lifecycle, record('2'));
    await tick();
    created[0].ack();
    await second;
    expect(created).toHaveLength(1);
    expect(created[0].sent.map((s) => s.firstSequence)).toEqual([0, 1]);
    expect(lifecycle.health).toMatchObject({ connected: true, connectedOnce: true, failingSince: null });
  });

  it('retires a producer after a failed send: the next batch goes out on a fresh producer id, never on a reused sequence range', async () => {
    const { lifecycle, created, events } = setup();
    await lifecycle.start();
    const failed = sendOne(lifecycle, record('lost-on-the-wire'));
    await tick();
    created[0].fail('Request timed out');
    await expect(failed).rejects.toThrow('Request timed out');

    const next = sendOne(lifecycle, record('next'));
    await tick();
    expect(created).toHaveLength(2);
    expect(created[0].disconnected).toBe(true);
    expect(created[0].sent).toHaveLength(1);
    expect(created[1].sent).toEqual([{ record: record('next'), firstSequence: 0 }]);
    created[1].ack();
    await next;
    expect(events.map((e) => e.type)).toEqual(['connected', 'retired', 'connected']);
  });

  it('sends the records of one batch at once on one producer, and retires it once when one of them failed', async () => {
    const { lifecycle, created, events } = setup();
    await lifecycle.start();
    const both = lifecycle.sendEach([record('partition-0'), record('partition-1')]);
    await tick();
    expect(created[0].sent.map((s) => s.record.messages[0].value)).toEqual(['partition-0', 'partition-1']);
    created[0].fail('NOT_ENOUGH_REPLICAS');
    created[0].ack();
    expect((await both).map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    await tick();
    expect(events.map((e) => e.type)).toEqual(['connected', 'retired', 'connected']);
    expect(created).toHaveLength(2);
  });

  it("gives up a send stuck in the client's own retries after the send timeout: retired, and the next batch goes out on a fresh producer (#19)", async () => {
    const { lifecycle, created, events } = setup([], 1000, 30);
    await lifecycle.start();
    const stuck = sendOne(lifecycle, record('stuck'));
    await expect(stuck).rejects.toThrow(/no acknowledgement within 30 ms/);
    const next = sendOne(lifecycle, record('next'));
    await tick();
    expect(created[0].disconnected).toBe(true);
    expect(created).toHaveLength(2);
    created[1].ack();
    await next;
    expect(events.map((e) => e.type)).toEqual(['connected', 'retired', 'connected']);
  });

  it('starts the next send only after the previous one settled, so a failure always retires before the next batch picks a producer', async () => {
    const { lifecycle, created } = setup();
    await lifecycle.start();
    const first = sendOne(lifecycle, record('1'));
    const second = sendOne(lifecycle, record('2'));
    await tick();
    expect(created[0].sent).toHaveLength(1);
    created[0].fail('NOT_ENOUGH_REPLICAS');
    await expect(first).rejects.toThrow();
    await tick();
    expect(created[0].sent).toHaveLength(1);
    expect(created[1].sent.map((s) => s.record.messages[0].value)).toEqual(['2']);
    created[1].ack();
    await second;
  });

  it('answers unavailable at once while no producer can be connected, and keeps trying in the background', async () => {
    const refused = new Error('ECONNREFUSED');
    const { lifecycle, created, events } = setup([[refused], [refused]]);
    expect(await lifecycle.start()).toBe(false);
    expect(lifecycle.available).toBe(false);
    await expect(sendOne(lifecycle, record('1'))).rejects.toThrow(ProduceUnavailableError);
    expect(lifecycle.health).toMatchObject({
      connected: false,
      connectedOnce: false,
      lastFailure: expect.stringContaining('ECONNREFUSED'),
    });
    await sleep(80);
    expect(created.map((p) => p.connectAttempts)).toEqual([1, 1, 1]);
    expect(lifecycle.available).toBe(true);
    const sent = sendOne(lifecycle, record('2'));
    await tick();
    created[2].ack();
    await sent;
    expect(events.map((e) => e.type)).toEqual(['connect-failed', 'connect-failed', 'connected']);
    expect(lifecycle.health.connectedOnce).toBe(true);
  });

  it('gives up a producer whose connect failed: kafkajs leaves it answering "Broker not connected" for good', async () => {
    // What a broker frozen during the handshake does to a kafkajs producer: its ApiVersions request
    // times out, and every later connect of that same producer fails although the broker is back.
    const wedged = [
      new Error('Request ApiVersions(key: 18, version: 2) timed out'),
      ...Array.from({ length: 50 }, () => new Error('Broker not connected')),
    ];
    const { lifecycle, created } = setup([wedged]);
    expect(await lifecycle.start()).toBe(false);
    await sleep(80);
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(created[0].disconnected).toBe(true);
    expect(created[0].connectAttempts).toBe(1);
    const sent = sendOne(lifecycle, record('after the freeze'));
    await tick();
    created[created.length - 1].ack();
    await expect(sent).resolves.toEqual([]);
  });

  it('keeps the start of a run of failures until a send succeeds again', async () => {
    const { lifecycle, created, advance } = setup([], 0);
    await lifecycle.start();
    const first = sendOne(lifecycle, record('1'));
    await tick();
    created[0].fail('timeout');
    await expect(first).rejects.toThrow();
    const failingSince = lifecycle.health.failingSince;
    expect(failingSince).not.toBeNull();
    advance(5000);
    const second = sendOne(lifecycle, record('2'));
    await tick();
    created[1].fail('OUT_OF_ORDER_SEQUENCE_NUMBER');
    await expect(second).rejects.toThrow();
    expect(lifecycle.health).toMatchObject({ failingSince, lastFailureAt: failingSince! + 5000 });
    const third = sendOne(lifecycle, record('3'));
    await tick();
    created[2].ack();
    await third;
    expect(lifecycle.health.failingSince).toBeNull();
  });

  it('backs off between replacements while sends keep failing', async () => {
    const { lifecycle, created } = setup([], 10_000);
    await lifecycle.start();
    for (const n of [1, 2]) {
      const sent = sendOne(lifecycle, record(String(n)));
      await tick();
      created[created.length - 1].fail('broken');
      await expect(sent).rejects.toThrow();
    }
    // The second failure in a row waits before a third producer is created: sends fail fast meanwhile.
    expect(created).toHaveLength(2);
    expect(lifecycle.available).toBe(false);
    await expect(sendOne(lifecycle, record('3'))).rejects.toThrow(ProduceUnavailableError);
    await sleep(150);
    expect(created).toHaveLength(3);
  });

  it('disconnects on stop and refuses later sends', async () => {
    const { lifecycle, created } = setup();
    await lifecycle.start();
    await lifecycle.stop();
    expect(created[0].disconnected).toBe(true);
    await expect(sendOne(lifecycle, record('late'))).rejects.toThrow('shutting down');
  });
});
