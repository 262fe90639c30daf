/** What the transport hands to the aggregation handler: one partition's fetched records. */
export interface PartitionRecords {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** For the lag metric: offset of the partition's next record to be written. */
  highWatermark: string;
  records: { offset: string; key: Buffer | null; value: Buffer | null; traceparent?: string }[];
}

/** What the handler answers: commit up to lastOffset, or seek back to where Redis stands. */
export type BatchOutcome = { kind: 'applied'; applied: number } | { kind: 'seek'; offset: string };
