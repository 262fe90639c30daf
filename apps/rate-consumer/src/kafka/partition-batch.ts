/** What the transport hands to the aggregation handler: one partition's fetched records. */
export interface PartitionRecords {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** For the lag metric: offset of the partition's next record to be written. */
  highWatermark: string;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; traceparent?: string }[];
}

/** What the handler answers: commit up to lastOffset, or seek to where Redis stands. */
export type BatchOutcome = { kind: 'applied'; applied: number } | { kind: 'seek'; offset: string };

/** The partitions of the topic this member was just given (a join or rebalance). */
export interface PartitionsAssigned {
  topic: string;
  partitions: number[];
}

/** Where the handler wants an assigned partition to be read from (Redis, not Kafka's commit, decides). */
export interface PartitionSeek {
  partition: number;
  offset: string;
}
