import { Kafka } from 'kafkajs';
import { PartitionOffsets } from './partition-offsets';

/** An admin client that either answers or, once broken (a broker restarted under it), fails for good. */
function fakeAdmin(broken: boolean) {
  return {
    connect: jest.fn(async () => undefined),
    disconnect: jest.fn(async () => undefined),
    fetchTopicOffsets: jest.fn(async () => {
      if (broken) throw new Error('Connection closed');
      return [{ partition: 0, offset: '5', low: '2', high: '5' }];
    }),
  };
}

describe('PartitionOffsets', () => {
  it('replaces its admin client after a failure: kafkajs does not heal a broken one (#19)', async () => {
    const admins = [fakeAdmin(true), fakeAdmin(false)];
    let created = 0;
    const kafka = { admin: jest.fn(() => admins[created++]) };
    const offsets = new PartitionOffsets(kafka as unknown as Kafka);
    await expect(offsets.of('rates')).rejects.toThrow('Connection closed');
    expect(await offsets.of('rates')).toEqual(new Map([[0, { low: 2n, high: 5n }]]));
    expect(admins[0].disconnect).toHaveBeenCalled();
    expect(kafka.admin).toHaveBeenCalledTimes(2);
  });
});
