import { auditSubjects, catchUpBoundS, hoursToLimit, slope, verdict } from './soak-stats';
import { parseSoakArgs } from './soak-args';
import { schedule } from './soak-stats';

describe('soak figures', () => {
  it('fits the growth per unit of x by least squares', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })))).toBeCloseTo(2);
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 2 },
      ]),
    ).toBeCloseTo(0.5);
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
        { x: 1, y: 3 },
      ]),
    ).toBeNull();
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeNull();
  });

  it('says never when nothing grows, else the hours left to the limit', () => {
    expect(hoursToLimit(100, 1100, 50)).toBe(20);
    expect(hoursToLimit(100, 1100, 0)).toBeNull();
    expect(hoursToLimit(100, 1100, -3)).toBeNull();
    expect(hoursToLimit(2000, 1100, 10)).toBe(0);
  });

  it('counts a subject below its 202s as lost, above its 202s and unsure answers as duplicated', () => {
    expect(
      auditSubjects([
        { acceptedCount: 5, acceptedSum: 20, unsure: 0, count: 5, sum: 20 },
        { acceptedCount: 5, acceptedSum: 20, unsure: 0, count: 3, sum: 12 },
        { acceptedCount: 5, acceptedSum: 20, unsure: 1, count: 6, sum: 24 },
        { acceptedCount: 5, acceptedSum: 20, unsure: 1, count: 8, sum: 30 },
        { acceptedCount: 2, acceptedSum: 4, unsure: 0, count: 2, sum: 5 },
      ]),
    ).toEqual({ lost: 2, duplicated: 2, sumMismatches: 1 });
  });

  it('fails on a loss, a duplicate, a slow or missing catch-up and a limit reached within a day', () => {
    const fine = { lost: 0, duplicated: 0, catchUpS: 20, catchUpBoundS: 30, hoursToRedisLimit: null, hoursToDiskLimit: 100, notAudited: 0 };
    expect(verdict(fine)).toEqual({ ok: true, problems: [] });
    expect(verdict({ ...fine, lost: 1 }).problems).toEqual(['1 accepted ratings lost']);
    expect(verdict({ ...fine, duplicated: 2 }).ok).toBe(false);
    expect(verdict({ ...fine, catchUpS: 31 }).problems).toEqual(['catch-up took 31 s, over the bound of 30 s']);
    expect(verdict({ ...fine, catchUpS: null }).ok).toBe(false);
    expect(verdict({ ...fine, hoursToRedisLimit: 23.5 }).problems).toEqual(['Redis would reach maxmemory in 23.5 h']);
    expect(verdict({ ...fine, hoursToDiskLimit: 2 }).ok).toBe(false);
    expect(verdict({ ...fine, notAudited: 3 }).ok).toBe(false);
  });

  it('bounds the catch-up by a quarter of the absence, at least 30 s', () => {
    expect(catchUpBoundS(60)).toBe(30);
    expect(catchUpBoundS(400)).toBe(100);
  });

  it('places the faults inside the run: absence early, Redis restart mid-way, rolling change late', () => {
    const plan = schedule(30);
    expect(plan).toMatchObject({ durationS: 1800, absenceAtS: 180, minAbsenceS: 120, redisRestartAtS: 990, rollingAtS: 1350 });
    expect(plan.absenceAtS + plan.maxAbsenceS).toBeLessThan(plan.redisRestartAtS);
    expect(schedule(2).minAbsenceS).toBe(24);
  });
});

describe('npm run soak arguments', () => {
  it('defaults to 30 minutes at 300 ratings/s, 1 % with an Idempotency-Key', () => {
    expect(parseSoakArgs([])).toEqual({ minutes: 30, rate: 300, keyedShare: 0.01 });
    expect(parseSoakArgs(['--minutes', '5', '--rate=120', '--keyed-share', '0'])).toEqual({ minutes: 5, rate: 120, keyedShare: 0 });
  });

  it('refuses what it cannot run, naming the flag and the expected form', () => {
    expect(() => parseSoakArgs(['--minutes', '1'])).toThrow(/--minutes 1: expected a number in \[2, 1440\]/);
    expect(() => parseSoakArgs(['--rate', 'fast'])).toThrow(/--rate fast: expected a number/);
    expect(() => parseSoakArgs(['--hours', '3'])).toThrow(/^unknown option --hours\nusage: npm run soak/);
  });
});
