import { ContentionReading } from './contention';
import { AttributedEpisode, StallSummary } from './stalls';

/** One arm of the comparison: a replica count behind its own front door. */
export interface Arm {
  key: string;
  replicas: number;
  url: string;
}

export type BlockPhase = 'ramp' | 'round' | 'saturation';

/** One block: an arm held at one rate, with what the generator and the probe saw. */
export interface PairedBlock {
  index: number;
  phase: BlockPhase;
  /** The round (1…) for round blocks; 0 otherwise. */
  round: number;
  arm: string;
  rate: number;
  seconds: number;
  equalLoad: boolean;
  requests: number;
  /** Over the latency objective (from the intended send time) or not accepted. */
  bad: number;
  errors: number;
  accepted: number;
  sendLagMaxMs: number;
  sentRate: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  contention: ContentionReading;
  /** Why the block is contended (its round is void), or null. */
  contended: string | null;
  cpuPct: Record<string, number>;
  throttledPct: Record<string, number>;
  /** Episodes of slow requests and what was present in them (GC and Kafka acks with --diagnose only). */
  stalls: StallSummary;
  /** The largest slow episodes with their causes (--diagnose only). */
  episodes: AttributedEpisode[];
  subjects: string[];
  /** What the aggregate holds for the block's subjects after draining (-1: not read). */
  aggregated: number;
  /** Latencies of the equal-load blocks only, for percentiles at equal offered load. */
  latenciesMs?: number[];
}

/** Everything a paired run measured; paired-summary.ts turns it into the figures. */
export interface PairedRuns {
  kind: 'paired';
  seed: number;
  aa: boolean;
  arms: Arm[];
  /** The warm-up ramp's guess of each arm's crossing, and the ladder placed around it. */
  expected: Record<string, number>;
  ladders: Record<string, number[]>;
  equalLoadRate: number;
  blocks: PairedBlock[];
  /** Rounds voided by contention (their numbers). */
  voidRounds: number[];
  freshnessMs: number[];
  freshness: { accepted: number; aggregated: number };
  /** Requests per replica through each arm's door (nginx access log). */
  replicaShare: Record<string, Record<string, number>>;
  /** Seconds from the first block to the end of the audit. */
  durationS: number;
  /** Why the run ended before its last round (its report holds what was measured). */
  stoppedBy: string | null;
}
