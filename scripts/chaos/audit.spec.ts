import { apiRecoverySeconds, classify, excuseDestroyed, failuresByStatus, faultRow, rowProblems, warmupProblem } from './audit';
import { RequestRecord } from './chaos-types';

const at = (sentAt: number, status: number, error?: string) => ({ sentAt, answeredAt: sentAt + 5, status, ...(error ? { error } : {}) });
const request = (subject: string, ...attempts: ReturnType<typeof at>[]): RequestRecord => ({ subject, rate: 5, attempts });

describe('chaos audit', () => {
  const records = [
    request('ok', at(0, 202)),
    request('lost', at(1, 202)),
    request('twice', at(2, 202)),
    request('refused', at(3, 503)),
    request('late-ack', at(4, 503)),
    request('timeout', at(5, 0, 'timeout')),
    request('retried', at(6, 503), at(1006, 202)),
    request('retried-twice-counted', at(7, 503), at(1007, 202)),
    request('failed-twice-counted', at(8, 502)),
  ];
  const counts = new Map([
    ['ok', 1],
    ['lost', 0],
    ['twice', 2],
    ['refused', 0],
    ['late-ack', 1],
    ['timeout', 0],
    ['retried', 1],
    ['retried-twice-counted', 2],
    ['failed-twice-counted', 2],
  ]);

  it('judges every request by its own subject', () => {
    const result = classify(records, { counts });
    expect(result).toEqual({
      requests: 9,
      accepted: 5,
      failed: 4,
      lost: ['lost'],
      duplicated: ['twice', 'retried-twice-counted', 'failed-twice-counted'],
      writtenDespiteError: ['late-ack'],
    });
  });

  it('counts an accepted rating missing at the catch-up deadline as lost even if it shows up later', () => {
    const result = classify(records, { counts, missingAtDeadline: new Set(['ok']) });
    expect(result.lost).toEqual(['ok', 'lost']);
  });

  it('refuses to judge a request it has no count for', () => {
    expect(() => classify(records, { counts: new Map([['ok', 1]]) })).toThrow('no audit count for lost');
  });

  it('a correct total hides nothing: one lost and one duplicated still show', () => {
    const pair = [request('a', at(0, 202)), request('b', at(1, 202))];
    const result = classify(pair, {
      counts: new Map([
        ['a', 0],
        ['b', 2],
      ]),
    });
    expect(result.lost).toEqual(['a']);
    expect(result.duplicated).toEqual(['b']);
  });

  it('groups failures by the last answer', () => {
    expect(failuresByStatus(records)).toEqual({ '503': 2, 'no answer (timeout)': 1, '502': 1 });
  });

  describe('api recovery', () => {
    it('is 0 when nothing failed after the fault started', () => {
      expect(apiRecoverySeconds([request('a', at(500, 503)), request('b', at(1500, 202))], 1000)).toBe(0);
    });

    it('is the first 202 after the last failure, from the fault start', () => {
      const run = [
        request('a', at(1000, 202)),
        request('b', at(1200, 503)),
        request('c', at(2500, 202)),
        request('d', at(3000, 0, 'reset')),
        request('e', at(4400, 202)),
        request('f', at(5000, 202)),
      ];
      expect(apiRecoverySeconds(run, 1000)).toBe(3.4);
    });

    it('counts retry attempts as samples of their own', () => {
      expect(apiRecoverySeconds([request('a', at(1000, 503), at(2000, 503), at(3000, 202))], 1000)).toBe(2);
    });

    it('is null when the API still failed at the end of the load', () => {
      expect(apiRecoverySeconds([request('a', at(1000, 202)), request('b', at(2000, 503))], 1000)).toBeNull();
    });
  });

  it('fails a row on any loss or duplicate, and on any failure where none is allowed', () => {
    const row = faultRow('x', { requests: 10, accepted: 9, failed: 1, lost: [], duplicated: [], writtenDespiteError: [] }, 0, 0.4);
    expect(row).toEqual({
      name: 'x',
      requests: 10,
      accepted: 9,
      failed: 1,
      lost: 0,
      duplicated: 0,
      written_despite_error: 0,
      api_recovery_s: 0,
      consumer_catch_up_s: 0.4,
    });
    expect(rowProblems(row, false)).toEqual([]);
    expect(rowProblems(row, true)).toEqual(['1 failed (must be 0)']);
    expect(rowProblems({ ...row, lost: 2, duplicated: 1 }, false)).toEqual(['2 lost', '1 duplicated']);
  });
});

describe('warm-up check', () => {
  const answer = (latencyMs: number, status = 202) => ({ sentAt: 1000, answeredAt: 1000 + latencyMs, status });

  it('is quiet when every warm-up answer was a fast 202', () => {
    expect(warmupProblem([answer(20), answer(50), answer(900)])).toBeNull();
  });

  it('says so when the stack was saturated before the fault', () => {
    expect(warmupProblem([answer(1500), answer(2500), answer(20)])).toMatch(
      /saturated before the fault: warm-up median latency 1\.50 s, 0 of 3/,
    );
    expect(warmupProblem([answer(20), answer(20, 503)])).toMatch(/1 of 2 answers not 202/);
    expect(warmupProblem([])).toMatch(/no answer at all/);
  });
});

describe('ratings the fault itself destroyed', () => {
  const records = [request('before', at(100, 202)), request('inside', at(1000, 202)), request('after', at(5000, 202))];
  const classified = { requests: 3, accepted: 3, failed: 0, lost: ['before', 'inside', 'after'], duplicated: [], writtenDespiteError: [] };

  it('excuses only a 202 answered inside the window, for a request sent before its end', () => {
    const { classified: rest, destroyed } = excuseDestroyed(classified, records, { from: 500, to: 2000, why: 'topic deleted' });
    expect(destroyed).toEqual(['inside']);
    expect(rest.lost).toEqual(['before', 'after']);
  });

  it('excuses nothing without a window', () => {
    expect(excuseDestroyed(classified, records, null)).toEqual({ classified, destroyed: [] });
  });
});
