import { childTrace, formatTraceparent, parseTraceparent } from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('traceparent', () => {
  it('parses a valid header and its sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`)).toEqual({ traceId: TRACE, spanId: '00f067aa0ba902b7', sampled: true });
    expect(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`01-${TRACE}-00f067aa0ba902b7-01-future`)?.traceId).toBe(TRACE);
  });

  it.each([
    undefined,
    '',
    'garbage',
    `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-00f067aa0ba902b7-01`,
    `00-${TRACE}-00f067aa0ba902b7-01-extra`,
  ])('ignores %p', (value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('continues the caller trace with a new span, or starts an unsampled one', () => {
    const parent = parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-01`);
    const child = childTrace(parent);
    expect(child).toMatchObject({ traceId: TRACE, sampled: true });
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe('00f067aa0ba902b7');
    const fresh = childTrace(null);
    expect(formatTraceparent(fresh)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(parseTraceparent(formatTraceparent(fresh))).toEqual(fresh);
  });

  it('draws ids from a pooled source that never repeats across refills', () => {
    // 1000 fresh traces use 24 KB of randomness: the 4 KiB pool is refilled several times.
    const ids = Array.from({ length: 1000 }, () => childTrace(null));
    expect(new Set(ids.map((t) => t.traceId)).size).toBe(1000);
    expect(new Set(ids.map((t) => t.spanId)).size).toBe(1000);
    for (const t of ids) expect(parseTraceparent(formatTraceparent(t))).toEqual(t);
  });
});
