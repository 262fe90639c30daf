import * as k6 from './slow-share.js';
import { crossing, pooledCurve } from '../../scripts/experiment/slow-share';
import { roundOrder } from '../../scripts/experiment/round-plan';

/** The k6 rounds and the local experiment read the same figure from the same blocks. */
const block = (rate: number, bad: number, requests = 1000, round = 1) => ({ arm: '1', round, rate, requests, bad });

const cases = [
  [block(100, 0), block(200, 5), block(300, 25)],
  [block(100, 2), block(150, 0, 3000), block(200, 30), block(200, 10, 1000, 2)],
  [block(100, 50), block(200, 90)],
  [block(100, 0), block(200, 1)],
  [],
];

describe('slow-share parity: local experiment and k6', () => {
  it.each(cases.map((c, i) => [i, c]))('pools case %d into the same curve and crossing', (_i, blocks) => {
    expect(k6.pooledCurve(blocks)).toEqual(pooledCurve(blocks));
    for (const budget of [0.005, 0.01, 0.05])
      expect(k6.crossing(k6.pooledCurve(blocks), budget)).toEqual(crossing(pooledCurve(blocks), budget));
  });

  it('orders a round alike from the same seed', () => {
    const blocks = [100, 200, 300].flatMap((rate) => ['1', '3'].map((arm) => ({ arm, rate, equalLoad: false })));
    for (const round of [1, 2, 3]) expect(k6.roundOrder(blocks, 42, round)).toEqual(roundOrder(blocks, 42, round));
  });
});
