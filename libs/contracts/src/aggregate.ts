/** What GET /rate answers: the merged aggregate of one subject. */
export interface RateAggregate {
  subject: string;
  count: number;
  sum: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  histogram: Record<string, number>;
}
