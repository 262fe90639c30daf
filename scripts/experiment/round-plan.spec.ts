import { anotherRound, Block, ladder, roundOrder, warmup } from './round-plan';

describe('the paired rounds plan', () => {
  it('places the ladder around the expected crossing on a 5 rps grid, distinct and ascending', () => {
    expect(ladder(423, [0.7, 0.85, 1, 1.2, 1.45])).toEqual([295, 360, 425, 510, 615]);
    expect(ladder(8, [0.5, 1])).toEqual([10]);
  });

  it('draws each round its own order from the seed: reproducible, and not the same every round', () => {
    const blocks: Block[] = [100, 200, 300].flatMap((rate) => ['1', '3'].map((arm) => ({ arm, rate, equalLoad: false })));
    const key = (order: Block[]) => order.map((b) => `${b.arm}@${b.rate}`).join(' ');
    expect(key(roundOrder(blocks, 7, 1))).toBe(key(roundOrder(blocks, 7, 1)));
    const orders = new Set([1, 2, 3, 4, 5, 6].map((round) => key(roundOrder(blocks, 7, round))));
    expect(orders.size).toBeGreaterThan(3);
    expect([...roundOrder(blocks, 7, 2)].sort((a, b) => a.rate - b.rate || a.arm.localeCompare(b.arm))).toEqual(
      [...blocks].sort((a, b) => a.rate - b.rate || a.arm.localeCompare(b.arm)),
    );
  });

  it('warms up through the widest door at a rate per replica: an A/A run warms one replica, not three', () => {
    const arms = (...counts: [string, number][]) => counts.map(([key, replicas]) => ({ key, replicas }));
    expect(warmup(arms(['1', 1], ['3', 3]), 80)).toEqual({ arm: { key: '3', replicas: 3 }, rate: 240 });
    expect(warmup(arms(['A', 1], ['B', 1]), 80)).toEqual({ arm: { key: 'A', replicas: 1 }, rate: 80 });
    expect(warmup(arms(['6', 6], ['2', 2]), 80)).toEqual({ arm: { key: '6', replicas: 6 }, rate: 480 });
  });

  it('runs rounds until enough are clean, re-running at most the extra rounds', () => {
    const plan = { rounds: 6, extraRounds: 2 };
    expect(anotherRound(plan, 5, 5)).toBe(true);
    expect(anotherRound(plan, 6, 6)).toBe(false);
    expect(anotherRound(plan, 7, 5)).toBe(true);
    expect(anotherRound(plan, 8, 5)).toBe(false);
  });
});
