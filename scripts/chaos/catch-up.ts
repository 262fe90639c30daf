import { Partitioners, PartitionMetadata } from 'kafkajs';

/** The partition the API's producer picks for a subject (kafkajs' default, Java-compatible murmur2). */
export function partitionOf(subject: string, partitions: number): number {
  const metadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
  }));
  return Partitioners.DefaultPartitioner()({ topic: 'rates', partitionMetadata: metadata, message: { key: subject, value: null } });
}

/** true = counted, false = not (yet), null = could not read (GET failed). */
export type VisibilityProbe = (subject: string) => Promise<boolean | null>;

interface Accepted {
  subject: string;
  acceptedAt: number;
}

/**
 * Follows how far the consumer has caught up, cheaply enough to run all along the load: a
 * partition is applied in order, so when the newest rating accepted on a partition before a
 * horizon is visible, the consumer has passed the horizon there. Each check asks about one
 * rating per partition. (Whether every single rating was counted is the audit's job.)
 */
export class CatchUpTracker {
  private readonly byPartition = new Map<number, Accepted[]>();
  /** per partition: how many of its ratings are known to be passed */
  private readonly passed = new Map<number, number>();
  /** horizons at which every rating accepted before them was visible, ascending */
  private readonly cleared: number[] = [];
  private lastAcceptedAt = -Infinity;

  constructor(
    private readonly partitions: number,
    private readonly probe: VisibilityProbe,
    /** normal freshness allowed: a check at time t asks about ratings accepted before t - slackMs */
    private readonly slackMs = 500,
  ) {}

  accepted(subject: string, acceptedAt: number): void {
    const partition = partitionOf(subject, this.partitions);
    const list = this.byPartition.get(partition) ?? [];
    list.push({ subject, acceptedAt });
    this.byPartition.set(partition, list);
    this.lastAcceptedAt = Math.max(this.lastAcceptedAt, acceptedAt);
  }

  /** One check at `now`; returns whether everything accepted before now - slack was visible. */
  async check(now: number): Promise<boolean> {
    const horizon = now - this.slackMs;
    const results = await Promise.all(
      [...this.byPartition].map(async ([partition, list]) => {
        const from = this.passed.get(partition) ?? 0;
        let newest = -1;
        for (let i = list.length - 1; i >= from; i--) {
          if (list[i].acceptedAt <= horizon) {
            newest = i;
            break;
          }
        }
        if (newest === -1) return true;
        if ((await this.probe(list[newest].subject)) !== true) return false;
        this.passed.set(partition, newest + 1);
        return true;
      }),
    );
    const ok = results.every(Boolean);
    if (ok) this.cleared.push(horizon);
    return ok;
  }

  /**
   * Seconds from the fault's end until the consumer had caught up: the first check after it that
   * found everything visible up to a horizon past the first rating accepted after the fault — a
   * consumer must show it applies new ratings, not only that it had applied the old ones. null if
   * no check ever got there.
   */
  catchUpSeconds(faultEnd: number): number | null {
    let firstAfter = Infinity;
    for (const list of this.byPartition.values()) {
      for (const { acceptedAt } of list) if (acceptedAt >= faultEnd && acceptedAt < firstAfter) firstAfter = acceptedAt;
    }
    const needed = firstAfter === Infinity ? faultEnd : firstAfter;
    const first = this.cleared.find((horizon) => horizon >= needed);
    return first === undefined ? null : Math.round((first - faultEnd) / 100) / 10;
  }

  /** Every accepted rating visible (checked after the load stopped). */
  drained(): boolean {
    const last = this.cleared[this.cleared.length - 1];
    return this.lastAcceptedAt === -Infinity || (last !== undefined && last >= this.lastAcceptedAt);
  }
}
