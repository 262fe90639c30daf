import { FaultDetail } from './chaos-types';
import { consoleTable, failed, renderMarkdown, summary } from './report';

const detail = (name: string, overrides: Partial<FaultDetail['row']> = {}, zeroFailures = false): FaultDetail => ({
  row: {
    name,
    requests: 100,
    accepted: 90,
    failed: 10,
    lost: 0,
    duplicated: 0,
    written_despite_error: 1,
    api_recovery_s: 2.5,
    consumer_catch_up_s: null,
    ...overrides,
  },
  zeroFailures,
  durationS: 42,
  notes: ['a note'],
  examples: { lost: [], duplicated: [], writtenDespiteError: ['s-1'] },
  failures: { '503': 10 },
});

describe('chaos report', () => {
  it('writes summary.json with exactly the keys of DESIGN.md', () => {
    const json = summary([detail('broker frozen')]);
    expect(Object.keys(json)).toEqual(['faults']);
    expect(Object.keys(json.faults[0])).toEqual([
      'name',
      'requests',
      'accepted',
      'failed',
      'lost',
      'duplicated',
      'written_despite_error',
      'api_recovery_s',
      'consumer_catch_up_s',
    ]);
  });

  it('fails the run on a loss, a duplicate, or a failure where none is allowed', () => {
    expect(failed([detail('a')])).toBe(false);
    expect(failed([detail('a'), detail('b', { lost: 1 })])).toBe(true);
    expect(failed([detail('a', { duplicated: 3 })])).toBe(true);
    expect(failed([detail('rolling', { failed: 1 }, true)])).toBe(true);
    expect(failed([detail('rolling', { failed: 0, accepted: 100 }, true)])).toBe(false);
    expect(failed([{ ...detail('skipped', { requests: 0, accepted: 0, failed: 0 }), error: 'stack broken' }])).toBe(true);
  });

  it('prints a table with a verdict per fault', () => {
    const table = consoleTable([detail('broker frozen', { lost: 7 }), detail('rolling update', { failed: 2 }, true)]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toMatch(/broker frozen\s+100\s+90\s+10\s+7\s+0\s+1\s+2\.5\s+never\s+FAIL: 7 lost/);
    expect(table).toMatch(/rolling update .* FAIL: 2 failed \(must be 0\)/);
  });

  it('states the machine and the definitions in report.md', () => {
    const md = renderMarkdown([detail('x')], {
      profile: 'quick',
      command: 'npm run chaos -- --quick',
      startedAt: '2026-01-01T00:00:00Z',
      durationS: 300,
      cores: 2,
      machineBusyPct: 80,
      harnessCpuPct: 12,
      loadAverage: [3, 2, 1],
      cgroups: 'none',
      stacks: ['single'],
      rate: 50,
    });
    expect(md).toContain('| x | 100 | 90 | 10 | 0 | 0 | 1 | 2.5 | never | ok |');
    expect(md).toContain('2 cores; busy 80 %');
    expect(md).toContain('12 % of one core');
    expect(md).toContain('- failed answers: 503 × 10');
  });
});
