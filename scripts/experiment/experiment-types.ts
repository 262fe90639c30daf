import { CapacityRun } from './capacity-measurement';
import { ContentionReading } from './contention';
import { Integrity } from './integrity';

export interface ClosedRun {
  rps: number;
  p50Ms: number;
  meanMs: number;
  p99Ms: number;
  connections: number;
}

export interface OpenRun {
  offered: number;
  sentRate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errorRate: number;
  generatorCpuPct: number;
  cpuPct: Record<string, number>;
  contention: ContentionReading;
}

/** Everything measured for one replica count; report.ts turns these into the report. */
export interface ReplicaRun {
  replicas: number;
  /** CPU per component with no load at all, % of one core. */
  idleCpuPct: Record<string, number>;
  closed: ClosedRun[];
  capacity: CapacityRun;
  open: OpenRun[];
  replicaShare: Record<string, number>;
  freshnessMs: number[];
  integrity: Integrity;
  /** Capacity traffic: accepted vs aggregated (503s whose event Kafka still acknowledged show up as extra). */
  capacityTraffic: { accepted: number; aggregated: number };
}

/** The bare-Fastify baseline through the same capacity search, under the same quota. */
export interface BaselineRun {
  idleCpuPct: Record<string, number>;
  capacity: CapacityRun;
  cgroups: boolean;
}

export interface Runs {
  replicas: ReplicaRun[];
  baseline: BaselineRun | null;
}

export interface ExperimentMeta {
  startedAt: string;
  quick: boolean;
  driver: 'vegeta' | 'k6';
  target: string;
  cpuLimitPerReplica: string;
  cgroups: boolean;
  cgroupProblem: string | null;
  machine: { cpus: number; model: string; memoryGiB: number };
  objective: { p99_ms: number; max_error_rate: number };
  sustainableTolerance: number;
  openRate: number;
  /** Capacity sweeps per replica count. */
  repeats: number;
  stepDurationS: number;
  windows: number;
  stepFactor: number;
  contentionLimits: { outsideCpuPct: number; generatorCpuPct: number; retries: number };
  valuesFile: string;
  /** Why the run ended before measuring every replica count (its report holds what was measured). */
  stoppedBy?: string | null;
}
