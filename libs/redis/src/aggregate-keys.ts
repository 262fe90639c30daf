/**
 * Redis layout. Every key of one partition shares the hash tag {p<partition>}, so the batch
 * script touches one hash slot and runs unchanged on Redis Cluster.
 */
export function offsetKey(partition: number): string {
  return `rate:{p${partition}}:offset`;
}

export function subjectKey(partition: number, subject: string): string {
  return `rate:{p${partition}}:s:${subject}`;
}
