import { EachBatchPayload, Kafka } from 'kafkajs';
import { JsonLogger } from '@rate/observability';
import { PARTITIONS_ASSIGNED_PATTERN, RATE_BATCH_PATTERN } from '../rate-consumer.constants';
import { ConsumerState } from './consumer-state';
import { KafkaBatchStrategy } from './kafka-batch.strategy';
import { BatchOutcome, PartitionRecords, PartitionsAssigned, PartitionSeek } from './partition-batch';
import { setTimeout as sleep } from 'node:timers/promises';

/** A kafkajs consumer reduced to what the strategy uses; events are emitted by the test. */
class FakeConsumer {
  readonly events = {
    CONNECT: 'connect',
    DISCONNECT: 'disconnect',
    REBALANCING: 'rebalancing',
    GROUP_JOIN: 'group_join',
    FETCH: 'fetch',
    CRASH: 'crash',
  };
  private readonly listeners = new Map<string, ((event: { payload: unknown }) => void)[]>();
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | null = null;
  readonly connect = jest.fn(async () => undefined);
  readonly subscribe = jest.fn(async () => undefined);
  readonly disconnect = jest.fn(async () => undefined);
  readonly seek = jest.fn();
  readonly pause = jest.fn();
  readonly resume = jest.fn();
  readonly run = jest.fn(async ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
    this.eachBatch = eachBatch;
  });

  on(name: string, listener: (event: { payload: unknown }) => void): void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
  }

  emit(name: string, payload: unknown = {}): void {
    for (const listener of this.listeners.get(name) ?? []) listener({ payload });
  }
}

function kafkaError(type: string): Error {
  return Object.assign(new Error(`kafka says ${type}`), { name: 'KafkaJSProtocolError', type });
}

type FakePayload = EachBatchPayload & { resolveOffset: jest.Mock; commitOffsetsIfNecessary: jest.Mock; heartbeat: jest.Mock };

function batchPayload(overrides: Partial<Record<keyof EachBatchPayload, unknown>> = {}): FakePayload {
  const messages = [
    { offset: '5', timestamp: '1000', key: Buffer.from('s'), value: Buffer.from('a') },
    { offset: '6', timestamp: '1001', key: Buffer.from('s'), value: Buffer.from('b') },
  ];
  const payload = {
    batch: {
      topic: 'rates',
      partition: 2,
      highWatermark: '10',
      messages,
      isEmpty: () => false,
      firstOffset: () => '5',
      lastOffset: () => '6',
    },
    resolveOffset: jest.fn(),
    commitOffsetsIfNecessary: jest.fn(async () => undefined),
    heartbeat: jest.fn(async () => undefined),
    isRunning: () => true,
    isStale: () => false,
    ...overrides,
  };
  return payload as unknown as FakePayload;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('KafkaBatchStrategy', () => {
  let consumers: FakeConsumer[];
  let state: ConsumerState;
  let strategy: KafkaBatchStrategy;
  let applyBatch: jest.Mock<Promise<BatchOutcome>, [PartitionRecords]>;
  let resumeAt: jest.Mock<Promise<PartitionSeek[]>, [PartitionsAssigned]>;
  const logger = { write: jest.fn() } as unknown as JsonLogger;

  const current = () => consumers[consumers.length - 1];

  beforeEach(async () => {
    consumers = [];
    const kafka = {
      consumer: jest.fn(() => {
        consumers.push(new FakeConsumer());
        return current();
      }),
    } as unknown as Kafka;
    state = new ConsumerState();
    strategy = new KafkaBatchStrategy({ kafka, groupId: 'g', topic: 'rates', state, logger, retryDelayMs: 1 });
    applyBatch = jest.fn(async (_batch: PartitionRecords) => ({ kind: 'applied', applied: 2 }) as BatchOutcome);
    resumeAt = jest.fn(async ({ partitions }: PartitionsAssigned) => partitions.map((partition) => ({ partition, offset: '7' })));
    strategy.addHandler(RATE_BATCH_PATTERN, (data: PartitionRecords) => applyBatch(data), true);
    strategy.addHandler(PARTITIONS_ASSIGNED_PATTERN, (data: PartitionsAssigned) => resumeAt(data), true);
    await strategy.listen(() => undefined);
  });

  afterEach(async () => {
    await strategy.close();
    jest.useRealTimers();
  });

  describe('a partition batch', () => {
    it('goes to the handler whole; its offset is resolved, committed and heartbeated only after it was applied', async () => {
      const payload = batchPayload();
      await current().eachBatch!(payload);
      expect(applyBatch).toHaveBeenCalledTimes(1);
      expect(applyBatch.mock.calls[0][0]).toEqual({
        topic: 'rates',
        partition: 2,
        firstOffset: '5',
        lastOffset: '6',
        highWatermark: '10',
        records: payload.batch.messages,
      });
      expect(payload.resolveOffset).toHaveBeenCalledWith('6');
      expect(payload.resolveOffset.mock.invocationCallOrder[0]).toBeGreaterThan(applyBatch.mock.invocationCallOrder[0]);
      expect(payload.commitOffsetsIfNecessary).toHaveBeenCalled();
      expect(payload.heartbeat).toHaveBeenCalled();
    });

    it("retries the handler's own failure (Redis down), heartbeating between attempts, and resolves once it succeeds", async () => {
      applyBatch.mockRejectedValueOnce(new Error('Redis down')).mockRejectedValueOnce(new Error('Redis down'));
      const payload = batchPayload();
      await current().eachBatch!(payload);
      expect(applyBatch).toHaveBeenCalledTimes(3);
      expect(payload.heartbeat.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(payload.resolveOffset).toHaveBeenCalledTimes(1);
      expect(payload.resolveOffset).toHaveBeenCalledWith('6');
    });

    it.each(['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR'])(
      'lets %s from the commit reach kafkajs instead of retrying the batch',
      async (type) => {
        const payload = batchPayload({ commitOffsetsIfNecessary: jest.fn(async () => Promise.reject(kafkaError(type))) });
        await expect(current().eachBatch!(payload)).rejects.toMatchObject({ type });
        expect(applyBatch).toHaveBeenCalledTimes(1);
      },
    );

    it('lets a rebalance found by the heartbeat between handler retries reach kafkajs', async () => {
      applyBatch.mockRejectedValue(new Error('Redis down'));
      const payload = batchPayload({ heartbeat: jest.fn(async () => Promise.reject(kafkaError('REBALANCE_IN_PROGRESS'))) });
      await expect(current().eachBatch!(payload)).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
      expect(applyBatch).toHaveBeenCalledTimes(1);
      expect(payload.resolveOffset).not.toHaveBeenCalled();
    });

    it('seeks where the handler says Redis stands and resolves nothing', async () => {
      applyBatch.mockResolvedValueOnce({ kind: 'seek', offset: '3' });
      const payload = batchPayload();
      await current().eachBatch!(payload);
      expect(current().seek).toHaveBeenCalledWith({ topic: 'rates', partition: 2, offset: '3' });
      expect(payload.resolveOffset).not.toHaveBeenCalled();
      expect(payload.commitOffsetsIfNecessary).not.toHaveBeenCalled();
    });

    it('drops a stale batch (a seek is pending for its partition) without applying it', async () => {
      const payload = batchPayload({ isStale: () => true });
      await current().eachBatch!(payload);
      expect(applyBatch).not.toHaveBeenCalled();
      expect(payload.resolveOffset).not.toHaveBeenCalled();
    });

    it('stops retrying once the batch went stale (a seek arrived meanwhile)', async () => {
      let stale = false;
      applyBatch.mockImplementation(async () => {
        stale = true;
        throw new Error('Redis down');
      });
      const payload = batchPayload({ isStale: () => stale });
      await current().eachBatch!(payload);
      expect(applyBatch).toHaveBeenCalledTimes(1);
      expect(payload.resolveOffset).not.toHaveBeenCalled();
    });

    it('lingers 20 ms after a small batch (the next one carries what arrived meanwhile), not after a large one', async () => {
      jest.useFakeTimers();
      let done = false;
      const small = current().eachBatch!(batchPayload()).then(() => (done = true));
      await jest.advanceTimersByTimeAsync(19);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await small;
      expect(done).toBe(true);

      const messages = Array.from({ length: 64 }, (_, i) => ({ offset: String(i), timestamp: '1000', key: null, value: Buffer.from('x') }));
      let largeDone = false;
      const large = batchPayload({ batch: { ...batchPayload().batch, messages, firstOffset: () => '0', lastOffset: () => '63' } });
      void current().eachBatch!(large).then(() => (largeDone = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(largeDone).toBe(true);
    });

    it('asks Kafka for any record at once, waits at most 1 s on an empty fetch, and applies partitions side by side', () => {
      const kafka = (strategy as unknown as { options: { kafka: { consumer: jest.Mock } } }).options.kafka;
      expect(kafka.consumer.mock.calls[0][0]).toMatchObject({ minBytes: 1, maxWaitTimeInMs: 1000 });
      expect(current().run.mock.calls[0][0]).toMatchObject({ partitionsConsumedConcurrently: 6, eachBatchAutoResolve: false });
    });

    it('looks its handlers up once, not per batch (Nest parses the pattern at every lookup)', async () => {
      const lookup = jest.spyOn(strategy, 'getHandlerByPattern');
      for (let i = 0; i < 3; i++)
        await current().eachBatch!(
          batchPayload({
            batch: {
              ...batchPayload().batch,
              messages: Array.from({ length: 64 }, (_, o) => ({ offset: String(o), timestamp: '1', key: null, value: Buffer.from('x') })),
            },
          }),
        );
      expect(applyBatch).toHaveBeenCalledTimes(3);
      expect(lookup).not.toHaveBeenCalled();
    });

    it('counts an applied batch as progress of its partition for liveness, a seek not (#19)', async () => {
      const later = Date.now() + 5_000;
      state.joinedGroup([2], 0);
      applyBatch.mockResolvedValueOnce({ kind: 'seek', offset: '3' });
      await current().eachBatch!(batchPayload());
      expect(state.stalled(10_000, later)).toEqual([2]);
      await current().eachBatch!(batchPayload());
      expect(state.stalled(10_000, later)).toEqual([]);
    });
  });

  describe('an assignment', () => {
    it('pauses the assigned partitions at once, seeks each where Redis stands, then resumes them', async () => {
      current().emit('group_join', { memberAssignment: { rates: [1, 4] } });
      expect(current().pause).toHaveBeenCalledWith([{ topic: 'rates', partitions: [1, 4] }]);
      expect(current().seek).not.toHaveBeenCalled();
      await flush();
      expect(resumeAt).toHaveBeenCalledWith({ topic: 'rates', partitions: [1, 4] });
      expect(current().seek.mock.calls).toEqual([
        [{ topic: 'rates', partition: 1, offset: '7' }],
        [{ topic: 'rates', partition: 4, offset: '7' }],
      ]);
      expect(current().resume).toHaveBeenCalledWith([{ topic: 'rates', partitions: [1, 4] }]);
      expect(current().resume.mock.invocationCallOrder[0]).toBeGreaterThan(current().seek.mock.invocationCallOrder[1]);
      expect(state).toMatchObject({ joined: true, assigned: [1, 4] });
    });

    it('keeps the partitions paused and asks again while the handler fails (Redis down)', async () => {
      resumeAt.mockRejectedValueOnce(new Error('Redis down'));
      current().emit('group_join', { memberAssignment: { rates: [0] } });
      await sleep(20);
      expect(resumeAt).toHaveBeenCalledTimes(2);
      expect(current().seek).toHaveBeenCalledWith({ topic: 'rates', partition: 0, offset: '7' });
      expect(current().resume).toHaveBeenCalledTimes(1);
    });

    it('never applies an older assignment’s plan to the newer one', async () => {
      let answerFirst: (seeks: PartitionSeek[]) => void = () => undefined;
      resumeAt.mockImplementationOnce(() => new Promise((resolve) => (answerFirst = resolve)));
      current().emit('group_join', { memberAssignment: { rates: [0, 1, 2] } });
      current().emit('group_join', { memberAssignment: { rates: [3] } });
      await flush();
      answerFirst([{ partition: 0, offset: '99' }]);
      await flush();
      expect(current().seek.mock.calls).toEqual([[{ topic: 'rates', partition: 3, offset: '7' }]]);
      expect(current().resume.mock.calls).toEqual([[[{ topic: 'rates', partitions: [3] }]]]);
    });

    it('pauses nothing when the member got no partition', async () => {
      current().emit('group_join', { memberAssignment: {} });
      await flush();
      expect(current().pause).not.toHaveBeenCalled();
      expect(resumeAt).not.toHaveBeenCalled();
      expect(state.joined).toBe(true);
    });
  });

  describe('a crash', () => {
    it('that kafkajs restarts from is left to kafkajs', async () => {
      jest.useFakeTimers();
      current().emit('crash', { error: new Error('request timed out'), restart: true });
      await jest.advanceTimersByTimeAsync(60_000);
      expect(consumers).toHaveLength(1);
      expect(state.crashed).toBeNull();
    });

    it('that kafkajs gives up on: the member says so, then starts a fresh consumer and rejoins', async () => {
      jest.useFakeTimers();
      current().emit('crash', { error: new Error('Failed to find group coordinator'), restart: false });
      expect(state.crashed).toBe('Failed to find group coordinator');
      await jest.advanceTimersByTimeAsync(1000);
      expect(consumers).toHaveLength(2);
      expect(consumers[0].disconnect).toHaveBeenCalled();
      expect(current().run).toHaveBeenCalled();
      current().emit('group_join', { memberAssignment: { rates: [0] } });
      expect(state.crashed).toBeNull();
    });

    it('backs off while restarts keep failing', async () => {
      jest.useFakeTimers();
      consumers[0].emit('crash', { error: new Error('fatal'), restart: false });
      await jest.advanceTimersByTimeAsync(1000);
      expect(consumers).toHaveLength(2);
      consumers[1].emit('crash', { error: new Error('fatal again'), restart: false });
      await jest.advanceTimersByTimeAsync(1000);
      expect(consumers).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1000);
      expect(consumers).toHaveLength(3);
    });

    it('is not restarted from while shutting down', async () => {
      jest.useFakeTimers();
      await strategy.close();
      current().emit('crash', { error: new Error('fatal'), restart: false });
      await jest.advanceTimersByTimeAsync(60_000);
      expect(consumers).toHaveLength(1);
    });
  });
});
