export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
/** Message pattern under which the transport hands a whole partition batch to the controller. */
export const RATE_BATCH_PATTERN = 'rates.partition-batch';
/** Message pattern under which the transport asks where to resume newly assigned partitions. */
export const PARTITIONS_ASSIGNED_PATTERN = 'rates.partitions-assigned';
