/** One HTTP attempt of a request: when it was sent, when and how it was answered. */
export interface Attempt {
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when there was no answer (connection refused, reset, client timeout). */
  status: number;
  error?: string;
}

/** One logical rating: its own subject, one or more attempts (a retrying client reuses its Idempotency-Key). */
export interface RequestRecord {
  subject: string;
  rate: number;
  idempotencyKey?: string;
  attempts: Attempt[];
}

/** A row of the chaos table; the keys are DESIGN.md's summary.json contract. */
export interface FaultRow {
  name: string;
  requests: number;
  accepted: number;
  failed: number;
  lost: number;
  duplicated: number;
  written_despite_error: number;
  api_recovery_s: number | null;
  consumer_catch_up_s: number | null;
}

/** What the run adds to each row for report.md (not part of summary.json's fixed keys). */
export interface FaultDetail {
  row: FaultRow;
  /** The fault must not fail a single request (rolling update through the balancer). */
  zeroFailures: boolean;
  durationS: number;
  notes: string[];
  /** A few examples of each problem, for the report. */
  examples: { lost: string[]; duplicated: string[]; writtenDespiteError: string[] };
  /** Why the fault could not be run (the stack could not be brought to a steady state); the run fails. */
  error?: string;
  /** Failed answers by status (0 = no answer), e.g. {"503": 12, "502": 1}. */
  failures: Record<string, number>;
}
