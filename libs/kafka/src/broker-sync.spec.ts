import { AddressInfo } from 'node:net';
import { ITopicMetadata } from 'kafkajs';
import { BrokerSync, brokerSync, brokerSyncServer } from './broker-sync';

const partition = (partitionId: number, leader: number, replicas: number[], isr: number[]) => ({
  partitionId,
  leader,
  replicas,
  isr,
  offlineReplicas: [],
  partitionErrorCode: 0,
});
const topic = (name: string, partitions: ReturnType<typeof partition>[]): ITopicMetadata => ({ name, partitions });

describe('brokerSync', () => {
  const rates = topic('rates', [partition(0, 0, [0, 1, 2], [0, 1, 2]), partition(1, 1, [1, 2, 0], [1, 0])]);

  it('is in sync when registered and in the ISR of each partition it replicates', () => {
    expect(brokerSync(0, [0, 1, 2], [rates])).toEqual({ inSync: true, reason: '' });
  });

  it('is not while it is missing from an ISR, naming the partitions', () => {
    expect(brokerSync(2, [0, 1, 2], [rates])).toEqual({ inSync: false, reason: 'broker 2 is not in the ISR of 1 partition(s): rates-1' });
  });

  it('is not while it is not registered (fenced or still starting)', () => {
    expect(brokerSync(2, [0, 1], [rates])).toEqual({ inSync: false, reason: 'broker 2 is not registered (brokers: 0,1)' });
    expect(brokerSync(2, [], [])).toEqual({ inSync: false, reason: 'broker 2 is not registered (brokers: none)' });
  });

  it('ignores partitions without a leader and partitions it does not replicate', () => {
    const leaderless = topic('rates', [partition(0, -1, [0, 1, 2], [1]), partition(1, 1, [1, 2], [1])]);
    expect(brokerSync(0, [0, 1, 2], [leaderless])).toEqual({ inSync: true, reason: '' });
  });

  it('lists at most five partitions', () => {
    const behind = topic(
      'rates',
      Array.from({ length: 8 }, (_, i) => partition(i, 1, [1, 2], [1])),
    );
    expect(brokerSync(2, [1, 2], [behind]).reason).toBe(
      'broker 2 is not in the ISR of 8 partition(s): rates-0, rates-1, rates-2, rates-3, rates-4 and 3 more',
    );
  });
});

describe('brokerSyncServer', () => {
  let sync: BrokerSync = { inSync: true, reason: '' };
  const server = brokerSyncServer(async () => sync);
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers GET /ready with 200 in sync and 503 with the reason otherwise', async () => {
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    sync = { inSync: false, reason: 'broker 2 is not registered (brokers: 0,1)' };
    const answer = await fetch(`${base}/ready`);
    expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 503, body: sync });
  });

  it('serves nothing else', async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/ready`, { method: 'POST' })).status).toBe(404);
  });
});
