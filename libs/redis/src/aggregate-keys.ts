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

/**
 * Present (with an expiry) while the event id counts as applied for the subject. With the subject
 * in the key, a repeat is recognised the same way wherever it lands: one id and subject always
 * share a partition, and one id under two subjects (an Idempotency-Key reused for another
 * subject) is two ratings — never one dropped or not depending on where both subjects hash to.
 */
export function eventIdKey(partition: number, id: string, subject: string): string {
  return `rate:{p${partition}}:id:${id}:${subject}`;
}
