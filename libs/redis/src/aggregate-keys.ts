/**
 * Redis layout. Every key of one partition shares the hash tag {p<partition>}, so the batch
 * script touches one hash slot and runs unchanged on Redis Cluster.
 */
export function offsetKey(partition: number): string {
  return `rate:{p${partition}}:offset`;
}

/** The mark of the record at the stored offset: a log holding another record there is a new log. */
export function markKey(partition: number): string {
  return `rate:{p${partition}}:mark`;
}

export function subjectKey(partition: number, subject: string): string {
  return `rate:{p${partition}}:s:${subject}`;
}

/** Present (with an expiry) while the event id counts as applied in this partition. */
export function eventIdKey(partition: number, id: string): string {
  return `rate:{p${partition}}:id:${id}`;
}
