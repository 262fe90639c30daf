/** Reading V8 .cpuprofile files (node --cpu-prof): where a process spent its CPU within a time window. */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  /** Monotonic clock, µs (the same clock as process.hrtime in any process on the machine). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  /** Self time in the window, ms, and as % of the window's wall time (100 % = one core busy). */
  selfMs: number;
  pctOfWall: number;
}

export interface WindowProfile {
  wallMs: number;
  /** Sampled time on the JS thread outside "(idle)", % of wall time. */
  busyPct: number;
  top: Frame[];
}

/** "fn node_modules/pkg/file.js:12", with paths shortened to the package or the project's dist/. */
function frameName(frame: CallFrame): string {
  const url = frame.url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '')
    .replace(/.*\/dist\//, '');
  const name = frame.functionName || '(anonymous)';
  return url ? `${name} ${url}:${frame.lineNumber + 1}` : name;
}

/**
 * Self time per frame for the samples taken within [fromUs, toUs]; the "(idle)" pseudo-frame is
 * left out of the top list (it is the time the thread waited).
 */
export function profileWindow(profile: CpuProfile, fromUs: number, toUs: number, top = 15): WindowProfile {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let at = profile.startTime;
  // A sample's time is the gap to the next sample (the last one has none).
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const name = frameName(nodes.get(profile.samples[i])!.callFrame);
    self.set(name, (self.get(name) ?? 0) + next);
  }
  const wallUs = Math.max(1, Math.min(toUs, profile.endTime) - Math.max(fromUs, profile.startTime));
  const busy = [...self].filter(([name]) => name !== '(idle)').reduce((sum, [, us]) => sum + us, 0);
  return {
    wallMs: Math.round(wallUs / 1000),
    busyPct: Math.round((1000 * busy) / wallUs) / 10,
    top: [...self]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({ frame, selfMs: Math.round(us / 100) / 10, pctOfWall: Math.round((10000 * us) / wallUs) / 100 })),
  };
}
