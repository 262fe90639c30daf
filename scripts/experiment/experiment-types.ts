import { SearchResult } from './capacity-search';

/** Everything measured for one replica count; report.ts turns a list of these into the report. */
export interface ReplicaRun {
  replicas: number;
  closed: { rps: number; p50Ms: number; meanMs: number; p99Ms: number; connections: number }[];
  capacity: SearchResult[];
  open: {
    offered: number;
    sentRate: number;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    errorRate: number;
    generatorCpuPct: number;
    cpuPct: Record<string, number>;
  }[];
  /** CPU per component (% of one core) during the highest passing capacity step. */
  cpuAtCapacity: Record<string, number>;
  /** Share of CFS periods (%) in which each API replica hit its quota: at capacity and at the first failing step. */
  throttledPct: { atCapacity: Record<string, number>; atFailure: Record<string, number> };
  replicaShare: Record<string, number>;
  freshnessMs: number[];
  integrity: { accepted: number; aggregated: number; lost: number; duplicated: number };
  /** Capacity search traffic: accepted vs aggregated (503s whose event Kafka still acknowledged show up as extra). */
  capacityTraffic: { accepted: number; aggregated: number };
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
  openRate: number;
  repeats: number;
  valuesFile: string;
}
