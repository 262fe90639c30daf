import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 100_000;
const CGROUP_ROOT = '/sys/fs/cgroup';

export interface CpuQuota {
  /** cgroup directory; the process writes its pid to <dir>/cgroup.procs before exec. */
  dir: string;
  millis: number;
  version: 1 | 2;
}

/** Which cgroup hierarchy can take a CPU quota here, or why none can. */
export function cgroupSupport(): { version: 1 | 2; base: string } | { version: null; reason: string } {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) {
    const controllers = readFileSync(join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8');
    if (!controllers.split(/\s+/).includes('cpu')) return { version: null, reason: 'cgroup v2 without the cpu controller' };
    return { version: 2, base: CGROUP_ROOT };
  }
  if (existsSync(join(CGROUP_ROOT, 'cpu', 'cpu.cfs_quota_us'))) return { version: 1, base: join(CGROUP_ROOT, 'cpu') };
  return { version: null, reason: 'no cgroup cpu controller mounted' };
}

/** Creates (or updates) <base>/rate-<stackId>/<name> with a quota of `millis` of one CPU. */
export function createCpuQuota(stackId: string, name: string, millis: number): CpuQuota | { error: string } {
  const support = cgroupSupport();
  if (support.version === null) return { error: support.reason };
  const parent = join(support.base, `rate-${stackId}`);
  const dir = join(parent, name);
  try {
    mkdirSync(dir, { recursive: true });
    const quota = Math.round((millis / 1000) * PERIOD_US);
    if (support.version === 1) {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
    } else {
      for (const level of [support.base, parent]) {
        const control = join(level, 'cgroup.subtree_control');
        if (!readFileSync(control, 'utf8').includes('cpu')) writeFileSync(control, '+cpu');
      }
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    }
    return { dir: join(dir, 'cgroup.procs'), millis, version: support.version };
  } catch (error) {
    return { error: `cgroups not writable here (${(error as Error).message})` };
  }
}

/** Throttling counters of a replica's cgroup: how often, and for how long, the quota held it back. */
export function cpuThrottling(stackId: string, name: string): { periods: number; throttled: number; throttledMs: number } | null {
  const support = cgroupSupport();
  if (support.version === null) return null;
  try {
    const stat = readFileSync(join(support.base, `rate-${stackId}`, name, 'cpu.stat'), 'utf8');
    const value = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    // cgroup v1 counts throttled time in ns (throttled_time), v2 in µs (throttled_usec).
    const throttledMs = support.version === 1 ? value('throttled_time') / 1e6 : value('throttled_usec') / 1e3;
    return { periods: value('nr_periods'), throttled: value('nr_throttled'), throttledMs };
  } catch {
    return null;
  }
}

/** Removes the stack's empty cgroups (a cgroup with processes left in it stays). */
export function removeCpuQuotas(stackId: string): void {
  const support = cgroupSupport();
  if (support.version === null) return;
  const parent = join(support.base, `rate-${stackId}`);
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      try {
        rmdirSync(join(parent, entry.name));
      } catch {
        // still has processes
      }
    }
  }
  try {
    rmdirSync(parent);
  } catch {
    // still has children
  }
}
