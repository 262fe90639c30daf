import { createServer, Server } from 'node:http';
import { Admin, ITopicMetadata } from 'kafkajs';

export interface BrokerSync {
  inSync: boolean;
  /** Why not, in a sentence an operator can act on; empty when in sync. */
  reason: string;
}

/**
 * Whether broker `nodeId` is in sync with its cluster: registered (unfenced brokers only are
 * listed) and in the ISR of every partition it replicates that has a leader. A partition without a
 * leader is not this broker's lag: waiting on it would keep every broker unready after a quorum
 * loss, and the cluster could never come back through its own readiness gates.
 */
export function brokerSync(nodeId: number, brokers: number[], topics: ITopicMetadata[]): BrokerSync {
  if (!brokers.includes(nodeId))
    return { inSync: false, reason: `broker ${nodeId} is not registered (brokers: ${brokers.join(',') || 'none'})` };
  const behind = topics.flatMap((topic) =>
    topic.partitions
      .filter((p) => p.leader >= 0 && p.replicas.includes(nodeId) && !p.isr.includes(nodeId))
      .map((p) => `${topic.name}-${p.partitionId}`),
  );
  if (behind.length > 0) {
    const shown = behind.slice(0, 5).join(', ') + (behind.length > 5 ? ` and ${behind.length - 5} more` : '');
    return { inSync: false, reason: `broker ${nodeId} is not in the ISR of ${behind.length} partition(s): ${shown}` };
  }
  return { inSync: true, reason: '' };
}

/** Asks the cluster, through `admin`, whether `nodeId` is in sync; a failed request is "not in sync". */
export async function checkBrokerSync(admin: Admin, nodeId: number): Promise<BrokerSync> {
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const { topics } = await admin.fetchTopicMetadata();
    return brokerSync(
      nodeId,
      cluster.brokers.map((b) => b.nodeId),
      topics,
    );
  } catch (error) {
    return { inSync: false, reason: `cannot read the cluster metadata: ${(error as Error).message}` };
  }
}

/**
 * GET /ready: 200 when the broker is in sync, 503 with the reason otherwise. A Kafka pod's
 * readiness probe points here, so a restarted broker counts as available (for a rolling update and
 * the PodDisruptionBudget) only once it has caught up, not when its port opens.
 */
export function brokerSyncServer(check: () => Promise<BrokerSync>): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/ready') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'GET /ready only' }));
      return;
    }
    void check().then((sync) => {
      res.writeHead(sync.inSync ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(sync));
    });
  });
}
