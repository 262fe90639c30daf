import {
  contendedBecause,
  ContentionReading,
  contentionReading,
  contentionSummary,
  parseProcStat,
  withContentionGuard,
} from './contention';

const PROC_STAT = `cpu  73980 12 18688 31999 740 30 499 1278 0 0
cpu0 36436 0 9002 17266 187 0 105 615 0 0
cpu1 37544 0 9685 14732 552 0 393 662 0 0
intr 1 2 3
`;

const limits = { outsideCpuPct: 10, generatorCpuPct: 80 };

function reading(outsideCpuPct: number, generatorCpuPct = 20): ContentionReading {
  return {
    seconds: 10,
    outsideCpuPct,
    generatorCpuPct,
    stackCpuPct: 60,
    harnessCpuPct: 2,
    interruptsCpuPct: 3,
    stealCpuPct: 0,
    machineIdlePct: 40,
  };
}

describe('contention guard', () => {
  it('reads busy, interrupt, steal and idle ticks from the aggregate line of /proc/stat', () => {
    expect(parseProcStat(PROC_STAT)).toEqual({
      busy: 73980 + 12 + 18688,
      interrupts: 30 + 499,
      steal: 1278,
      idle: 31999 + 740,
      total: 73980 + 12 + 18688 + 31999 + 740 + 30 + 499 + 1278,
    });
    expect(() => parseProcStat('intr 1')).toThrow('no aggregate cpu line');
  });

  it('attributes to the outside what the machine ran beyond the stack, the generator and the harness; steal and idle apart', () => {
    const before = { busy: 1000, interrupts: 100, steal: 50, idle: 500, total: 1650 };
    // 1500 busy ticks at 100 ticks/s over 10 s = 150 % of a core; the known processes used 125 %.
    // Two CPUs over 10 s = 2000 ticks of wall time, 460 of them idle.
    const after = { busy: 2500, interrupts: 130, steal: 60, idle: 960, total: 3650 };
    const r = contentionReading(before, after, { stack: 9, generator: 3, harness: 0.5 }, 10, 100);
    expect(r).toEqual({
      seconds: 10,
      outsideCpuPct: 25,
      generatorCpuPct: 30,
      stackCpuPct: 90,
      harnessCpuPct: 5,
      interruptsCpuPct: 3,
      stealCpuPct: 1,
      machineIdlePct: 23,
    });
  });

  it('never reports negative outside load when the processes were counted a tick more than the machine', () => {
    const r = contentionReading(
      { busy: 0, interrupts: 0, steal: 0, idle: 0, total: 0 },
      { busy: 100, interrupts: 0, steal: 0, idle: 100, total: 200 },
      { stack: 0.8, generator: 0.3, harness: 0 },
      1,
      100,
    );
    expect(r.outsideCpuPct).toBe(0);
  });

  it('names each broken limit', () => {
    expect(contendedBecause(reading(4), limits)).toBeNull();
    expect(contendedBecause(reading(35), limits)).toBe('outside load 35 % of a core > 10 %');
    expect(contendedBecause(reading(35, 91), limits)).toBe('outside load 35 % of a core > 10 %; load generator 91 % of a core > 80 %');
    expect(contendedBecause({ ...reading(4), stealCpuPct: 12 }, { ...limits, stealCpuPct: 8 })).toBe(
      'hypervisor steal 12 % of a core > 8 %',
    );
    expect(contendedBecause({ ...reading(4), stealCpuPct: 12 }, limits)).toBeNull();
  });

  it('repeats a contended step until it is clean', async () => {
    const outside = [60, 25, 3];
    const retried: string[] = [];
    const result = await withContentionGuard(
      async () => ({ rate: 100, contention: reading(outside.shift()!) }),
      limits,
      3,
      async (reason) => {
        retried.push(reason);
      },
    );
    expect(result).toMatchObject({ rate: 100, attempts: 3, contended: null });
    expect(retried).toEqual(['outside load 60 % of a core > 10 %', 'outside load 25 % of a core > 10 %']);
  });

  it('keeps the last measurement, marked contended, when the retries are spent', async () => {
    const result = await withContentionGuard(
      async () => ({ contention: reading(50) }),
      limits,
      2,
      async () => undefined,
    );
    expect(result).toMatchObject({ attempts: 3, contended: 'outside load 50 % of a core > 10 %' });
  });

  it('flags a run when any kept step is contended and reports the worst readings', () => {
    const clean = { contention: reading(3, 40), attempts: 1, contended: null };
    const retried = { contention: reading(8, 55), attempts: 2, contended: null };
    const dirty = { contention: reading(45, 30), attempts: 4, contended: 'outside load 45 % of a core > 10 %' };
    expect(contentionSummary([clean, retried], limits)).toMatchObject({
      outside_cpu_pct_max: 8,
      generator_cpu_pct_max: 55,
      flagged: false,
      repeated_steps: 1,
      contended_steps: 0,
    });
    expect(contentionSummary([clean, dirty], limits)).toMatchObject({
      outside_cpu_pct_max: 45,
      flagged: true,
      contended_steps: 1,
      steps: 2,
    });
  });
});
