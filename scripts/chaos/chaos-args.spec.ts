import { parseChaosArgs } from './chaos-args';
import { FAULTS, selectFaults } from './faults';
import { PROFILES } from './profiles';

describe('chaos arguments', () => {
  it('runs the full profile and every fault by default', () => {
    expect(parseChaosArgs([])).toEqual({ profile: PROFILES.full, only: null });
    expect(selectFaults(null)).toBe(FAULTS);
  });

  it('takes --quick and --only in both spellings', () => {
    expect(parseChaosArgs(['--quick', '--only', 'freeze,api-rolling'])).toEqual({
      profile: PROFILES.quick,
      only: ['freeze', 'api-rolling'],
    });
    expect(parseChaosArgs(['--only=redis']).only).toEqual(['redis']);
    expect(selectFaults(['api-rolling', 'freeze']).map((f) => f.slug)).toEqual(['freeze', 'api-rolling']);
  });

  it.each([
    [['--fast'], 'unknown option --fast'],
    [['--only'], '--only takes a comma-separated list of fault slugs, got ""'],
    [['--quick=yes'], 'unknown option --quick=yes'],
  ])('rejects %p', (argv, message) => {
    expect(() => parseChaosArgs(argv)).toThrow(message);
  });

  it('names an unknown fault and lists the known ones', () => {
    expect(() => selectFaults(['freeze', 'meteor'])).toThrow(/unknown fault\(s\) meteor; known: freeze, outage, blip, /);
  });

  it('covers every fault of issue 8, each with a unique slug', () => {
    expect(new Set(FAULTS.map((f) => f.slug)).size).toBe(FAULTS.length);
    expect(FAULTS.map((f) => f.slug)).toEqual([
      'freeze',
      'outage',
      'blip',
      'leader',
      'brokers-rolling',
      'consumer-kill',
      'consumer-scale',
      'redis',
      'redis-cluster-kill',
      'redis-cluster-reshard',
      'api-rolling',
      'retry-503',
      'topic-reset',
    ]);
    expect(FAULTS.filter((f) => f.zeroFailures).map((f) => f.slug)).toEqual(['api-rolling']);
  });

  it("keeps every profile's freeze longer than the consumer session plus the produce timeout", () => {
    for (const profile of Object.values(PROFILES)) expect(profile.freezeS).toBeGreaterThan(10 + 3);
  });
});
