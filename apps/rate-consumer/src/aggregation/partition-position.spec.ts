import { backlog, planAssignment, planGap, recordMark, resumeOffset } from './partition-position';

const bounds = (low: number, high: number) => ({ low: BigInt(low), high: BigInt(high) });

describe('where a partition resumes', () => {
  it('resumes at the stored offset itself, so the first batch shows the record Redis applied last', () => {
    expect(resumeOffset(7n, bounds(0, 20))).toBe(7n);
    expect(planAssignment(7n, bounds(0, 20))).toEqual({ kind: 'seek', offset: 7n });
  });

  it('starts a partition Redis never saw at the log start', () => {
    expect(planAssignment(-1n, bounds(0, 0))).toEqual({ kind: 'seek', offset: 0n });
    expect(planAssignment(-1n, bounds(40, 90))).toEqual({ kind: 'seek', offset: 40n });
  });

  it('starts at the log start when retention deleted the stored record', () => {
    expect(planAssignment(9n, bounds(30, 90))).toEqual({ kind: 'seek', offset: 30n });
  });

  it('resets a partition whose log ends at or before the stored offset: a new log, counted from its start', () => {
    expect(planAssignment(7n, bounds(0, 7))).toEqual({ kind: 'reset', offset: 0n });
    expect(planAssignment(7n, bounds(0, 0))).toEqual({ kind: 'reset', offset: 0n });
    expect(planAssignment(7n, bounds(0, 8))).toEqual({ kind: 'seek', offset: 7n });
  });
});

describe('a batch past the stored offset (Redis lost writes)', () => {
  it('seeks back to refill what Kafka still has', () => {
    expect(planGap(4n, bounds(0, 50))).toEqual({ kind: 'seek', offset: 4n });
    expect(planGap(-1n, bounds(0, 50))).toEqual({ kind: 'seek', offset: 0n });
    expect(planGap(9n, bounds(10, 50))).toEqual({ kind: 'seek', offset: 10n });
  });

  it('accepts the gap when retention deleted what is missing', () => {
    expect(planGap(4n, bounds(10, 50))).toEqual({ kind: 'accept' });
    expect(planGap(-1n, bounds(1, 50))).toEqual({ kind: 'accept' });
  });
});

describe('backlog', () => {
  it('counts the records after the stored offset, from the log start at the earliest', () => {
    expect(backlog(9n, bounds(0, 20))).toBe(10n);
    expect(backlog(-1n, bounds(5, 20))).toBe(15n);
    expect(backlog(19n, bounds(0, 20))).toBe(0n);
  });

  it('is 0, not negative, when Redis is past the log end (a reset not seen yet)', () => {
    expect(backlog(500n, bounds(0, 20))).toBe(0n);
  });
});

describe('recordMark', () => {
  it('is the record timestamp with a digest of its bytes, whatever they decode to', () => {
    expect(recordMark('5', Buffer.from('junk'))).toMatch(/^5:#[0-9a-f]{16}$/);
    expect(recordMark('5', Buffer.from('junk'))).not.toBe(recordMark('5', Buffer.from('junk2')));
    expect(recordMark('5', Buffer.from('junk'))).not.toBe(recordMark('6', Buffer.from('junk')));
    expect(recordMark('5', null)).toMatch(/^5:#[0-9a-f]{16}$/);
  });
});
