import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { roundsOptions, roundsReport, roundsSchedule, roundsSettings } from './rounds.js';
import { pairedEstimate } from '../../scripts/experiment/slow-share';
import { roundOrder } from '../../scripts/experiment/round-plan';

const defs = JSON.parse(readFileSync(join(__dirname, '..', 'scenarios.json'), 'utf8'));
const env = { ARM_URLS: '1=http://rate-one,3=http://rate', LADDERS: '1=100,140;3=300,420', ROUNDS: '3', BLOCK: '4', SEED: '9' };

describe('k6 SCENARIO=rounds', () => {
  it('reads the two Services and their ladders, and refuses what it cannot run', () => {
    expect(roundsSettings(env, defs)).toMatchObject({
      arms: ['1', '3'],
      urls: { '1': 'http://rate-one', '3': 'http://rate' },
      ladders: { '1': [100, 140], '3': [300, 420] },
      rounds: 3,
      block: 4,
      seed: 9,
      budget: defs.rounds.budget,
    });
    expect(() => roundsSettings({ ...env, ARM_URLS: '1=http://rate-one' }, defs)).toThrow('ARM_URLS must name two arms');
    expect(() => roundsSettings({ ...env, LADDERS: '1=100,140' }, defs)).toThrow('LADDERS has no rates for arm 3');
    expect(() => roundsSettings({ ...env, LADDERS: '1=100,x;3=300' }, defs)).toThrow('must be whole numbers');
    expect(() => roundsSettings({ ...env, ARM_URLS: '1=rate-one,3=http://rate' }, defs)).toThrow('must be http(s)://host[:port]');
  });

  it('runs every block of a round in the order the local experiment draws from the same seed, one after another', () => {
    const r = roundsSettings(env, defs);
    const schedule = roundsSchedule(r);
    expect(schedule).toHaveLength(3 * 4);
    const blocks = [
      { arm: '1', rate: 100, equalLoad: false },
      { arm: '1', rate: 140, equalLoad: false },
      { arm: '3', rate: 300, equalLoad: false },
      { arm: '3', rate: 420, equalLoad: false },
    ];
    expect(schedule.filter((b) => b.round === 2).map((b) => `${b.arm}@${b.rate}`)).toEqual(
      roundOrder(blocks, 9, 2).map((b) => `${b.arm}@${b.rate}`),
    );
    expect(schedule.map((b) => b.startTime)).toEqual(schedule.map((_, i) => i * (4 + r.pause)));
  });

  it('gives each block a constant-arrival-rate scenario at its arm, tagged, with a threshold carrying its misses and none dropped', () => {
    const options = roundsOptions(roundsSettings(env, defs), 50);
    const first = roundsSchedule(roundsSettings(env, defs))[0];
    const scenario = options.scenarios[first.name.replace(/-/g, '_')];
    expect(scenario).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: first.rate,
      duration: '4s',
      exec: 'rate',
      env: { ARM_URL: first.arm === '1' ? 'http://rate-one' : 'http://rate' },
      tags: { arm: first.arm, round: '1', rate: String(first.rate), block: first.name },
    });
    expect(options.thresholds.dropped_iterations).toEqual(['count==0']);
    expect(options.thresholds[`missed{block:${first.name}}`]).toEqual(['rate>=0']);
  });

  it('reads the same capacities from k6 summary data as the local estimator from the same blocks', () => {
    const r = roundsSettings(env, defs);
    const bad: Record<string, number> = { '1-100': 1, '1-140': 20, '3-300': 2, '3-420': 30 };
    const metrics: Record<string, { values: Record<string, number> }> = { dropped_iterations: { values: { count: 0 } } };
    for (const b of roundsSchedule(r))
      metrics[`missed{block:${b.name}}`] = { values: { passes: bad[`${b.arm}-${b.rate}`], fails: b.rate * 4 - bad[`${b.arm}-${b.rate}`] } };
    const report = roundsReport({ metrics }, r);
    const local = pairedEstimate(report.blocks, '3', '1', r.budget, 1, 0);
    expect(report.arms['1'].crossing).toEqual(local.arms['1'].crossing);
    expect(report.arms['3'].crossing).toEqual(local.arms['3'].crossing);
    expect(report.ratio).toBeCloseTo(local.ratio!, 10);
    expect(report.ratio_arms).toEqual(['3', '1']);
    expect(report.dropped_iterations).toBe(0);
  });
});
