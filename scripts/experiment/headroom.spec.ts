import { BlockReading, headroomVerdict } from './headroom';

const limits = { machineIdlePct: 15, componentPct: 90, throttledPct: 1, stealPct: 10 };

function at(rate: number, over: Partial<BlockReading> = {}): BlockReading {
  return {
    rate,
    machineIdlePct: 40,
    stealCpuPct: 0,
    cpuPct: { 'api-1': 24, nginx: 20, kafka: 35, redis: 8, consumer: 30, generator: 25 },
    throttledPct: { 'api-1': 6 },
    ...over,
  };
}

describe('the headroom verdict', () => {
  it('is replica-bound when the replicas were throttled at capacity and the machine had CPU to spare', () => {
    const verdict = headroomVerdict([at(300, { throttledPct: { 'api-1': 0 } }), at(400), at(440, { machineIdlePct: 31 })], 420, limits);
    expect(verdict).toEqual({
      verdict: 'replica-bound',
      machine_idle_pct_min: 31,
      saturated: ['API replicas (throttled in 6 % of periods)'],
      rates: [400, 440],
    });
  });

  it('names the machine when it ran out of idle CPU, with the busiest component besides the API', () => {
    const verdict = headroomVerdict([at(1300, { machineIdlePct: 6 })], 1300, limits);
    expect(verdict.verdict).toBe('machine-bound');
    expect(verdict.saturated).toEqual([
      'API replicas (throttled in 6 % of periods)',
      'the machine (idle 6 % < 15 %; busiest besides the API: kafka)',
    ]);
  });

  it('names a single-threaded component at a core and the VM when the hypervisor took CPU', () => {
    const verdict = headroomVerdict([at(900, { cpuPct: { redis: 95, generator: 20 }, stealCpuPct: 14 })], 900, limits);
    expect(verdict.verdict).toBe('machine-bound');
    expect(verdict.saturated).toEqual([
      'API replicas (throttled in 6 % of periods)',
      'redis (95 % of a core)',
      'the VM (hypervisor steal 14 % of a core)',
    ]);
  });

  it('judges the nearest rate when none lies within 15 % of the capacity, and says when nothing saturated', () => {
    const verdict = headroomVerdict([at(100), at(200, { throttledPct: { 'api-1': 0 } })], 300, limits);
    expect(verdict.rates).toEqual([200]);
    expect(verdict.verdict).toBe('unattributed');
    expect(headroomVerdict([], 300, limits).verdict).toBe('not measured');
    expect(headroomVerdict([at(100)], null, limits).verdict).toBe('not measured');
  });
});
