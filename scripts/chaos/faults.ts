import { DestroyWindow } from './audit';
import { ChaosStack } from './chaos-stack';
import { Profile } from './profiles';
import { setTimeout as sleep } from 'node:timers/promises';
import { keySlot, migrateSlot, redisNodeName, slotOwner } from '../stack/redis-cluster';

export interface FaultContext {
  stack: ChaosStack;
  profile: Profile;
  /** a line for this fault's notes in the report */
  note(line: string): void;
  log(line: string): void;
  /** marks the fault's start later than the moment inject() was called (after finding a target) */
  started(): void;
  /** ratings acknowledged in this window may be destroyed by the fault itself: reported apart from lost */
  destroyWindow(window: DestroyWindow): void;
}

export type StackKind = 'single' | 'cluster' | 'redis-cluster';

export interface Fault {
  /** short id: subjects, --only */
  slug: string;
  /** the row name in the table */
  name: string;
  /** single: a 1-broker stack; cluster: 3 brokers; redis-cluster: 1 broker and a 3-primary Redis Cluster */
  stack: StackKind;
  /** the fault must fail no request at all */
  zeroFailures?: boolean;
  /** every request carries its Idempotency-Key and is retried on 503 / no answer */
  retryingClient?: boolean;
  /** before the load starts */
  prepare?(ctx: FaultContext): Promise<void>;
  /** the fault itself, under load; resolves when it is over (the fault's end) */
  inject(ctx: FaultContext): Promise<void>;
  /** after the phase's audit: put the stack back as the next fault expects it */
  restore?(ctx: FaultContext): Promise<void>;
}

async function frozen(ctx: FaultContext, broker: string, seconds: number): Promise<void> {
  ctx.stack.signal(broker, 'SIGSTOP');
  try {
    await sleep(seconds * 1000);
  } finally {
    ctx.stack.signal(broker, 'SIGCONT');
  }
}

async function killFor(ctx: FaultContext, name: string, seconds: number): Promise<number> {
  ctx.stack.hold(name);
  try {
    const down = Date.now();
    await ctx.stack.kill(name);
    await sleep(seconds * 1000);
    await ctx.stack.ensure(name);
    return (Date.now() - down) / 1000;
  } finally {
    ctx.stack.release(name);
  }
}

/** The busiest partition over a short sample of the load, and its leader. */
async function busiestLeader(ctx: FaultContext): Promise<string> {
  const before = await ctx.stack.topicEnds();
  await sleep(2000);
  const { partition, broker, records } = await ctx.stack.busiestPartitionLeader(before);
  ctx.note(`target: ${broker}, leader of partition ${partition} (busiest: ${records} records in 2 s)`);
  return broker;
}

/** The busiest partition over a short sample of the load, its hash slot and the Redis Cluster node serving it. */
async function busiestSlot(ctx: FaultContext): Promise<{ partition: number; slot: number; node: number }> {
  const before = await ctx.stack.topicEnds();
  await sleep(2000);
  const { partition, records } = await ctx.stack.busiestPartitionLeader(before);
  const { config, shape } = ctx.stack;
  const slot = await keySlot(config, `rate:{p${partition}}:offset`);
  const node = await slotOwner(config, shape.redisNodes ?? 0, slot);
  ctx.note(`partition ${partition} (busiest: ${records} records in 2 s) is slot ${slot}, on ${redisNodeName(node)}`);
  return { partition, slot, node };
}

/** In this order; the topic reset last, as a consumer that mishandles it counts nothing afterwards. */
export const FAULTS: Fault[] = [
  {
    slug: 'freeze',
    name: 'broker frozen twice (SIGSTOP)',
    stack: 'single',
    async inject(ctx) {
      ctx.note(
        `SIGSTOP ${ctx.profile.freezeS} s, 5 s running, SIGSTOP ${ctx.profile.freezeS} s (consumer session 10 s, produce timeout 3 s)`,
      );
      await frozen(ctx, 'kafka', ctx.profile.freezeS);
      await sleep(5000);
      await frozen(ctx, 'kafka', ctx.profile.freezeS);
    },
  },
  {
    slug: 'outage',
    name: 'broker SIGKILL, long outage',
    stack: 'single',
    async inject(ctx) {
      const downS = await killFor(ctx, 'kafka', ctx.profile.outageS);
      ctx.note(`broker down ${downS.toFixed(1)} s until ready again (> every client retry window)`);
    },
  },
  {
    slug: 'blip',
    name: 'broker SIGKILL, immediate restart',
    stack: 'single',
    async inject(ctx) {
      const downS = await killFor(ctx, 'kafka', 0);
      // A JVM broker cannot come back in under a second: the blip lasts its own restart.
      ctx.note(`broker down ${downS.toFixed(1)} s (SIGKILL, restarted at once: the broker's own start time)`);
    },
  },
  {
    slug: 'leader',
    name: 'leader of the busiest partition SIGKILLed',
    stack: 'cluster',
    async inject(ctx) {
      const broker = await busiestLeader(ctx);
      ctx.started();
      await killFor(ctx, broker, ctx.profile.leaderDownS);
      await ctx.stack.waitInSync();
    },
  },
  {
    slug: 'brokers-rolling',
    name: 'rolling restart of the 3 brokers',
    stack: 'cluster',
    async inject(ctx) {
      for (const broker of ctx.stack.brokerNames()) {
        ctx.stack.hold(broker);
        try {
          const how = await ctx.stack.terminate(broker, 60_000);
          await ctx.stack.ensure(broker);
          ctx.note(`${broker}: ${how} on SIGTERM, restarted`);
        } finally {
          ctx.stack.release(broker);
        }
        // As a careful operator does: the next broker only once every replica is back in sync.
        await ctx.stack.waitInSync();
      }
    },
  },
  {
    slug: 'consumer-kill',
    name: 'consumer SIGKILL',
    stack: 'cluster',
    async inject(ctx) {
      await killFor(ctx, 'consumer', ctx.profile.consumerDownS);
    },
  },
  {
    slug: 'consumer-scale',
    name: 'consumer group scaled 1 → 3 → 1',
    stack: 'cluster',
    async prepare(ctx) {
      await ctx.stack.scale({ consumers: 1 });
    },
    async inject(ctx) {
      await ctx.stack.scale({ consumers: 3 });
      await sleep(ctx.profile.scaleHoldS * 1000);
      await ctx.stack.scale({ consumers: 1 });
    },
    async restore(ctx) {
      await ctx.stack.scale({ consumers: 2 });
    },
  },
  {
    slug: 'redis',
    name: 'Redis SIGKILL + restart (AOF everysec)',
    stack: 'cluster',
    async inject(ctx) {
      await killFor(ctx, 'redis', ctx.profile.redisDownS);
    },
  },
  {
    slug: 'redis-cluster-kill',
    name: 'Redis Cluster primary of the busiest partition SIGKILLed + restarted (no replica)',
    stack: 'redis-cluster',
    async inject(ctx) {
      const { node } = await busiestSlot(ctx);
      ctx.started();
      await killFor(ctx, redisNodeName(node), ctx.profile.redisDownS);
    },
  },
  {
    slug: 'redis-cluster-reshard',
    name: 'Redis Cluster slot of the busiest partition migrated under load',
    stack: 'redis-cluster',
    async inject(ctx) {
      const { slot, node } = await busiestSlot(ctx);
      const nodes = ctx.stack.shape.redisNodes ?? 0;
      ctx.started();
      // Small batches with pauses: the batches the consumer applies meanwhile meet the slot half moved.
      const moved = await migrateSlot(ctx.stack.config, nodes, slot, (node % nodes) + 1, 10, 20);
      ctx.note(`${moved} keys of slot ${slot} moved from ${redisNodeName(node)} to ${redisNodeName((node % nodes) + 1)}`);
    },
  },
  {
    slug: 'api-rolling',
    name: 'rolling update of the API through nginx',
    stack: 'cluster',
    zeroFailures: true,
    async inject(ctx) {
      const all = ctx.stack.apiNames();
      for (const api of all) {
        ctx.stack.hold(api);
        try {
          // Kubernetes removes the endpoint and sends SIGTERM at the same moment: neither waits for the other.
          ctx.stack.routeTo(all.filter((a) => a !== api));
          const how = await ctx.stack.terminate(api);
          await ctx.stack.ensure(api);
          ctx.stack.routeTo(all);
          ctx.note(`${api}: ${how} on SIGTERM, restarted`);
        } finally {
          ctx.stack.release(api);
        }
        await sleep(2000);
      }
    },
  },
  {
    slug: 'retry-503',
    name: 'client retries each 503 with its Idempotency-Key',
    stack: 'cluster',
    retryingClient: true,
    async inject(ctx) {
      const broker = await busiestLeader(ctx);
      ctx.started();
      ctx.note(`${broker} frozen ${ctx.profile.retryFreezeS} s (> produce timeout): answers 503 whose writes may still land`);
      await frozen(ctx, broker, ctx.profile.retryFreezeS);
    },
  },
  {
    slug: 'topic-reset',
    name: 'topic deleted and recreated',
    stack: 'cluster',
    async inject(ctx) {
      // Deleting a topic destroys what it holds: a rating acknowledged a moment before and not
      // consumed yet goes with it — the operator's loss, which no consumer can prevent. The
      // harness deletes right after it saw Redis holding the whole log; a 202 answered after that
      // check for a request sent before the deletion ended may have been destroyed, and is
      // reported apart. Any other 202 must be counted.
      const checked = await ctx.stack.waitApplied();
      const creator = await ctx.stack.recreateTopic();
      ctx.destroyWindow({
        from: checked,
        to: Date.now(),
        why: 'acknowledged by the old topic between the check that Redis held its whole log and its deletion',
      });
      ctx.note(
        `topic \`rates\` deleted ${((Date.now() - checked) / 1000).toFixed(1)} s after Redis was seen holding its whole log, created again by ${creator} (same partitions, RF, min ISR): its log starts again at offset 0`,
      );
    },
  },
];

export function selectFaults(only: string[] | null): Fault[] {
  if (only === null) return FAULTS;
  const unknown = only.filter((slug) => !FAULTS.some((f) => f.slug === slug));
  if (unknown.length > 0) throw new Error(`unknown fault(s) ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.slug).join(', ')}`);
  return FAULTS.filter((f) => only.includes(f.slug));
}
