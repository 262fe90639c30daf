// Test fixture (excluded from the build): the part of kafkajs' cluster that its sendMessages
// uses, with partition leaders the test moves by hand.
const noop = () => undefined;

export function fakeCluster<B>(leaders: Record<number, number>, brokers: Record<number, B>) {
  return {
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    removeBroker: noop,
    findTopicPartitionMetadata: () => Object.keys(leaders).map((p) => ({ partitionId: Number(p), leader: leaders[Number(p)] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) =>
      partitions.reduce<Record<number, number[]>>((byLeader, p) => {
        const leader = leaders[Number(p)];
        (byLeader[leader] ??= []).push(Number(p));
        return byLeader;
      }, {}),
    findBroker: async ({ nodeId }: { nodeId: number }) => brokers[nodeId],
  };
}
