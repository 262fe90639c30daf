import { CpuProfile, profileWindow } from './cpu-profile';

/** 1 ms samples over 2 s: idle, except `handler` (and GC) in the second second. */
function profile(): CpuProfile {
  const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('handler', 'file:///work/rate/dist/apps/rate-api/src/rate/rate.controller.js', 11) },
    { id: 4, callFrame: frame('(garbage collector)') },
  ];
  const samples: number[] = [];
  for (let i = 0; i < 2000; i++) samples.push(i < 1000 ? 2 : i % 10 === 0 ? 4 : i % 2 === 0 ? 3 : 2);
  return { nodes, startTime: 1_000_000, endTime: 1_000_000 + 2_000_000, samples, timeDeltas: samples.map(() => 1000) };
}

describe('cpu profile window', () => {
  it('sums self time per frame within the window, idle left out', () => {
    const loaded = profileWindow(profile(), 2_000_000, 3_000_000);
    expect(loaded.wallMs).toBe(1000);
    expect(loaded.top).toEqual([
      { frame: 'handler apps/rate-api/src/rate/rate.controller.js:12', selfMs: 400, pctOfWall: 40 },
      { frame: '(garbage collector)', selfMs: 100, pctOfWall: 10 },
    ]);
    expect(loaded.busyPct).toBe(50);
  });

  it('shows an idle window as idle', () => {
    const idle = profileWindow(profile(), 1_000_000, 1_999_000);
    expect(idle.busyPct).toBe(0);
    expect(idle.top).toEqual([]);
  });

  it('keeps package-relative names for dependencies', () => {
    const p = profile();
    p.nodes[2].callFrame.url = '/work/rate/node_modules/fastify/lib/route.js';
    expect(profileWindow(p, 2_000_000, 3_000_000, 1).top[0].frame).toBe('handler fastify/lib/route.js:12');
  });
});
