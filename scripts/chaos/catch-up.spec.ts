import { CatchUpTracker, partitionOf } from './catch-up';

describe('partitionOf', () => {
  it('matches the Java client murmur2 partitioner on known keys', () => {
    // Computed with the broker's own jars: Utils.toPositive(Utils.murmur2(key)) % 6.
    expect([partitionOf('a', 6), partitionOf('movie:42', 6), partitionOf('chaos-x-1', 6)]).toEqual([4, 5, 2]);
    const spread = new Set(Array.from({ length: 200 }, (_, i) => partitionOf(`chaos-x-${i}`, 6)));
    expect([...spread].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('CatchUpTracker', () => {
  /** A consumer whose visible set the test controls. */
  function setup(slackMs = 500) {
    const visible = new Set<string>();
    const asked: string[] = [];
    const tracker = new CatchUpTracker(
      6,
      async (subject) => {
        asked.push(subject);
        return visible.has(subject);
      },
      slackMs,
    );
    return { visible, asked, tracker };
  }

  it('asks about one rating per partition: the newest accepted before the horizon', async () => {
    const { visible, asked, tracker } = setup();
    const subjects = Array.from({ length: 60 }, (_, i) => `s-${i}`);
    subjects.forEach((s, i) => tracker.accepted(s, 1000 + i));
    subjects.forEach((s) => visible.add(s));
    expect(await tracker.check(2000)).toBe(true);
    const partitions = new Set(subjects.map((s) => partitionOf(s, 6)));
    expect(asked).toHaveLength(partitions.size);
    // Nothing new: the next check asks nothing.
    asked.length = 0;
    expect(await tracker.check(2100)).toBe(true);
    expect(asked).toEqual([]);
  });

  it('allows normal freshness: a rating younger than the slack is not waited for', async () => {
    const { tracker } = setup(500);
    tracker.accepted('young', 1800);
    expect(await tracker.check(2000)).toBe(true);
    expect(await tracker.check(2400)).toBe(false);
  });

  it('measures catch-up from the fault end to the first check past the first new rating', async () => {
    const { visible, tracker } = setup(500);
    tracker.accepted('before', 1000);
    visible.add('before');
    expect(await tracker.check(1600)).toBe(true);
    // Fault ends at 2000; a stuck consumer: the first rating after it stays invisible.
    tracker.accepted('after-1', 2300);
    tracker.accepted('after-2', 2600);
    // The old ratings are visible, but that proves nothing about the consumer after the fault.
    expect(await tracker.check(2700)).toBe(true);
    expect(tracker.catchUpSeconds(2000)).toBeNull();
    expect(await tracker.check(3200)).toBe(false);
    expect(tracker.catchUpSeconds(2000)).toBeNull();
    expect(tracker.drained()).toBe(false);
    visible.add('after-1');
    visible.add('after-2');
    expect(await tracker.check(9500)).toBe(true);
    expect(tracker.catchUpSeconds(2000)).toBe(7);
    expect(tracker.drained()).toBe(true);
  });

  it('treats an unreadable aggregate (GET failed) as not caught up', async () => {
    const tracker = new CatchUpTracker(6, async () => null);
    tracker.accepted('x', 0);
    expect(await tracker.check(1000)).toBe(false);
  });
});
