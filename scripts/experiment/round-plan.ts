import { seededRandom } from './statistics';

/**
 * How the paired rounds are laid out: each arm gets a ladder of rates around the crossing its
 * warm-up ramp suggested, and every round visits every (arm, rate) block once, in an order drawn
 * afresh per round from the run's seed, so neither arm keeps the quiet or the busy minutes.
 */

export interface Block {
  arm: string;
  rate: number;
  /** The equal-load block: both arms at the same rate (p50/p99 at equal offered load). */
  equalLoad: boolean;
}

/** Rates are placed on a grid of this many rps, never below the floor. */
const GRID = 5;
const FLOOR = 10;

const onGrid = (rate: number) => Math.max(FLOOR, Math.round(rate / GRID) * GRID);

/** The ladder: the expected crossing times each factor, distinct, ascending. */
export function ladder(expected: number, factors: number[]): number[] {
  return [...new Set(factors.map((f) => onGrid(expected * f)))].sort((a, b) => a - b);
}

/**
 * The warm-up: through the widest arm's door, at a rate per replica that every arm carries. At a
 * fixed total an A/A run drove its single replica past saturation, and the queues and garbage left
 * behind made the ramp place the ladder at half the crossing.
 */
export function warmup<A extends { replicas: number }>(arms: A[], ratePerReplica: number): { arm: A; rate: number } {
  const arm = arms.reduce((a, b) => (b.replicas > a.replicas ? b : a));
  return { arm, rate: ratePerReplica * arm.replicas };
}

/** Every block of a round in the round's own random order (Fisher–Yates on a seeded source). */
export function roundOrder(blocks: Block[], seed: number, round: number): Block[] {
  const random = seededRandom(seed * 1000 + round);
  const order = [...blocks];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export interface RoundsPlan {
  rounds: number;
  /** Rounds run again in place of contended ones, at most. */
  extraRounds: number;
}

/** Whether another round should run, given how many ran and how many of those were clean. */
export function anotherRound(plan: RoundsPlan, ran: number, clean: number): boolean {
  return clean < plan.rounds && ran < plan.rounds + plan.extraRounds;
}
