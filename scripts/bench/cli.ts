import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { eventIdForIdempotencyKey } from '@rate/contracts';
import { AggregateRepository } from '@rate/redis';
import { histogramAbove, parsePromText } from '../experiment/prom-text';
import { apiCpuLimitMillis } from '../stack/chart-values';
import { createCpuQuota } from '../stack/cpu-quota';
import { startProcess, stopProcess } from '../stack/process-control';
import { httpStatus, waitFor } from '../stack/readiness';
import { redisUrl } from '../stack/redis-conf';
import { ensureRedisCluster, redisClusterEnv } from '../stack/redis-cluster';
import { appMain, redisService } from '../stack/services';
import { down, ensureService, up } from '../stack/stack';
import { ROOT, stackConfig } from '../stack/stack-config';
import { wrkPost, WrkResult } from './wrk';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * npm run bench — measurements, not tests:
 *  (a) one API replica against bare Fastify, both under the chart's per-replica CPU quota,
 *      same load tool, alternating in one run;
 *  (b) consumer throughput: events/s aggregated into Redis from a pre-filled topic;
 *  (c) Redis memory per subject and per keyed rating;
 *  (d) (b) again against a Redis Cluster of three primaries.
 */
const ENV = {
  ...process.env,
  RATE_RUN_DIR: join(ROOT, '.run', 'bench'),
  RATE_NGINX_PORT: '48080',
  RATE_API_BASE_PORT: '48081',
  RATE_KAFKA_PORT: '49092',
  RATE_REDIS_PORT: '46379',
  RATE_CONSUMER_PORT: '49101',
};
const HELLO_PORT = 48199;
const BENCH_CONSUMER_PORT = 49102;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Enough connections to saturate the quota: with fewer, wrk measures connections / latency (Little's law), not capacity.
const CONNECTIONS = 256;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000);

const log = (line: string) => console.log(`[bench] ${line}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;

async function apiVsFastify(config: ReturnType<typeof stackConfig>, cpuMillis: number) {
  const wrk = join(config.toolsDir, 'bin', 'wrk');
  const quota = createCpuQuota(config.id, 'hello', cpuMillis);
  const pidFile = join(config.runDir, 'pids', 'hello.pid');
  startProcess({
    command: process.execPath,
    args: [join(ROOT, 'dist', 'scripts', 'bench', 'hello-fastify.js')],
    env: { PATH: process.env.PATH, PORT: String(HELLO_PORT) },
    cwd: config.runDir,
    logFile: join(config.runDir, 'logs', 'hello.log'),
    pidFile,
    cgroupProcs: 'error' in quota ? undefined : quota.dir,
  });
  try {
    await waitFor(
      'hello-fastify',
      async () => (await httpStatus(`http://127.0.0.1:${HELLO_PORT}/`)) !== null,
      20_000,
      () => true,
    );
    const api: WrkResult[] = [];
    const hello: WrkResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      api.push(await wrkPost(wrk, config.runDir, `http://127.0.0.1:${config.apiBasePort}/rate?rate=5&subject=bench`, SECONDS, CONNECTIONS));
      hello.push(await wrkPost(wrk, config.runDir, `http://127.0.0.1:${HELLO_PORT}/rate?rate=5`, SECONDS, CONNECTIONS));
      log(`round ${round}/${ROUNDS}: rate-api ${api[round - 1].rps.toFixed(0)} rps, bare Fastify ${hello[round - 1].rps.toFixed(0)} rps`);
    }
    const ratios = api.map((a, i) => a.rps / hello[i].rps);
    return { cgroups: !('error' in quota), api, hello, ratios };
  } finally {
    await stopProcess(pidFile, 10_000);
  }
}

/** Where the bench consumer aggregates: the stack's Redis (database 1), or a Redis Cluster. */
type RedisEnv = { REDIS_URL: string; REDIS_MODE?: string };

/** Polls the bench consumer's metrics until it applied `events`; returns when it applied the first. */
async function waitApplied(events: number): Promise<number> {
  let firstAt = 0;
  let applied = 0;
  const deadline = Date.now() + 300_000;
  while (applied < events) {
    if (Date.now() > deadline) throw new Error(`consumer applied only ${applied} of ${events} events in 5 minutes`);
    await sleep(100);
    const text = await fetch(`http://127.0.0.1:${BENCH_CONSUMER_PORT}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    applied = Number(/^rate_consumer_events_applied_total (\d+)/m.exec(text)?.[1] ?? 0);
    if (applied > 0 && firstAt === 0) firstAt = Date.now();
  }
  return firstAt;
}

async function consumerThroughput(config: ReturnType<typeof stackConfig>, redisEnv: RedisEnv) {
  const topic = `rates.bench.${Date.now()}`;
  const kafka = new Kafka({ clientId: 'rate-bench', brokers: [`127.0.0.1:${config.kafkaPort}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  log(`pre-filling ${topic} with ${EVENTS} events`);
  const subjects = Array.from({ length: 500 }, (_, i) => `bench-${i}`);
  for (let sent = 0; sent < EVENTS; sent += 10_000) {
    const messages = Array.from({ length: Math.min(10_000, EVENTS - sent) }, (_, i) => {
      const subject = subjects[(sent + i) % subjects.length];
      return { key: subject, value: JSON.stringify({ v: 1, id: randomUUID(), subject, rate: ((sent + i) % 10) + 1, ts: Date.now() }) };
    });
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();

  const pidFile = join(config.runDir, 'pids', 'bench-consumer.pid');
  const started = Date.now();
  startProcess({
    command: process.execPath,
    args: [appMain('rate-consumer')],
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      HEALTH_PORT: String(BENCH_CONSUMER_PORT),
      KAFKA_BROKERS: `127.0.0.1:${config.kafkaPort}`,
      ...redisEnv,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `bench-${randomUUID()}`,
      REPLICA_NAME: 'bench-consumer',
      LOG_LEVEL: 'warn',
    },
    cwd: config.runDir,
    logFile: join(config.runDir, 'logs', 'bench-consumer.log'),
    pidFile,
  });
  try {
    const firstAt = await waitApplied(EVENTS);
    const seconds = (Date.now() - firstAt) / 1000;
    const text = await fetch(`http://127.0.0.1:${BENCH_CONSUMER_PORT}/metrics`).then((r) => r.text());
    const batchesOver5000 = histogramAbove(parsePromText(text), 'rate_consumer_batch_size', 5000).above;
    return { events: EVENTS, seconds, eventsPerSecond: EVENTS / seconds, startupSeconds: (firstAt - started) / 1000, batchesOver5000 };
  } finally {
    await stopProcess(pidFile, 20_000);
  }
}

/**
 * (d) A Redis Cluster of three primaries beside the stack (its own run dir and ports), for the
 * consumer's throughput against it, measured with the same topic size right after (b).
 */
async function withRedisCluster<T>(use: (env: RedisEnv) => Promise<T>): Promise<T> {
  const config = stackConfig({ ...ENV, RATE_RUN_DIR: join(ROOT, '.run', 'bench', 'redis-cluster'), RATE_REDIS_PORT: '46400' });
  const nodes = Array.from({ length: 3 }, (_, i) => redisService(config, i + 1, true));
  try {
    await Promise.all(nodes.map((spec) => ensureService(config, spec, log)));
    await ensureRedisCluster(config, nodes.length, join(config.toolsDir, 'bin'), log);
    return await use(redisClusterEnv(config, nodes.length) as RedisEnv);
  } finally {
    await down(config, true);
  }
}

/**
 * (c) Redis memory per subject and per keyed rating, from used_memory around real script calls
 * into a database of its own: what the chart README sizes redis.maxmemory by.
 */
async function redisFootprint(config: ReturnType<typeof stackConfig>) {
  const redis = new Redis(redisUrl(config, 2));
  const repository = new AggregateRepository(redis);
  const used = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
  const apply = async (partition: number, ratings: { subject: string; id: string | null }[]) => {
    for (let first = 0; first < ratings.length; first += 2000) {
      const records = ratings
        .slice(first, first + 2000)
        .map((r, i) => ({ offset: String(first + i), mark: `0:#${first + i}`, rating: { ...r, rate: 5 } }));
      await repository.apply({
        partition,
        firstOffset: records[0].offset,
        lastOffset: records[records.length - 1].offset,
        records,
        idempotencyWindowS: 86_400,
      });
    }
  };
  try {
    await redis.flushdb();
    const n = 50_000;
    // 16-character subjects, as the README's figures assume; one partition each.
    const subjects = Array.from({ length: n }, (_, i) => `bench-${String(i).padStart(10, '0')}`);
    let before = await used();
    await apply(
      0,
      subjects.map((subject) => ({ subject, id: null })),
    );
    const perSubject = ((await used()) - before) / n;
    before = await used();
    await apply(
      1,
      subjects.map((_, i) => ({ subject: subjects[0], id: eventIdForIdempotencyKey(`bench-key-${i}`) })),
    );
    const perKeyed = ((await used()) - before) / n;
    before = await used();
    await apply(
      2,
      subjects.map(() => ({ subject: subjects[1], id: null })),
    );
    const perUnkeyed = ((await used()) - before) / n;
    await redis.flushdb();
    return {
      subjects: n,
      bytesPerSubjectPartition: Math.round(perSubject),
      bytesPerKeyedRating: Math.round(perKeyed),
      bytesPerRatingWithoutKey: Math.round(perUnkeyed),
    };
  } finally {
    redis.disconnect();
  }
}

type BenchSummary = {
  apiVsFastify: { apiRps: number[]; fastifyRps: number[]; ratioMedian: number; ratios: number[] };
  consumer: Awaited<ReturnType<typeof consumerThroughput>>;
  consumerRedisCluster: Awaited<ReturnType<typeof consumerThroughput>>;
  redisMemory: Awaited<ReturnType<typeof redisFootprint>>;
};

/** The results as a Markdown table (the JSON file holds every round). */
function printTable(summary: BenchSummary, cpuMillis: number): void {
  const { consumer: b, consumerRedisCluster: d, redisMemory: c } = summary;
  console.log('');
  console.log(`| benchmark | result | spread | goal |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| (a) rate-api POST /rate, 1 replica at ${cpuMillis}m | ${median(summary.apiVsFastify.apiRps).toFixed(0)} rps | ${spread(summary.apiVsFastify.apiRps)} | |`,
  );
  console.log(
    `| (a) bare Fastify at ${cpuMillis}m | ${median(summary.apiVsFastify.fastifyRps).toFixed(0)} rps | ${spread(summary.apiVsFastify.fastifyRps)} | |`,
  );
  console.log(
    `| (a) ratio rate-api / Fastify | ${summary.apiVsFastify.ratioMedian.toFixed(2)} | ${Math.min(...summary.apiVsFastify.ratios).toFixed(2)}–${Math.max(...summary.apiVsFastify.ratios).toFixed(2)} | ≥ 0.5 |`,
  );
  console.log(
    `| (b) consumer, Kafka → Redis, from a backlog | ${b.eventsPerSecond.toFixed(0)} events/s | ${b.events} events in ${b.seconds.toFixed(1)} s, ${b.batchesOver5000} batches over 5,000 records | ≥ 100000 |`,
  );
  console.log(
    `| (d) the same against a Redis Cluster of 3 primaries | ${d.eventsPerSecond.toFixed(0)} events/s | ${d.events} events in ${d.seconds.toFixed(1)} s; ${(d.eventsPerSecond / b.eventsPerSecond).toFixed(2)} × one Redis | |`,
  );
  console.log(`| (c) Redis per subject (each partition it appears in) | ${c.bytesPerSubjectPartition} bytes | ${c.subjects} subjects | |`);
  console.log(
    `| (c) Redis per rating with an Idempotency-Key, for IDEMPOTENCY_WINDOW_S | ${c.bytesPerKeyedRating} bytes | without a key: ${c.bytesPerRatingWithoutKey} bytes | |`,
  );
}

async function main(): Promise<void> {
  const config = stackConfig(ENV);
  const cpuMillis = apiCpuLimitMillis(config.valuesFile);
  log(`starting a 1-replica stack in ${config.runDir}`);
  await up(config, { replicas: 1, log });
  try {
    const a = await apiVsFastify(config, cpuMillis);
    const b = await consumerThroughput(config, { REDIS_URL: redisUrl(config, 1) });
    const d = await withRedisCluster((env) => consumerThroughput(config, env));
    const c = await redisFootprint(config);
    const summary = {
      machine: { cpus: cpus().length, node: process.version },
      cpuLimitPerReplica: `${cpuMillis}m`,
      cgroups: a.cgroups,
      load: `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${ROUNDS} alternating rounds`,
      apiVsFastify: {
        apiRps: a.api.map((r) => r.rps),
        fastifyRps: a.hello.map((r) => r.rps),
        ratioMedian: median(a.ratios),
        ratios: a.ratios,
        apiP99Ms: a.api.map((r) => r.p99Ms),
        apiNon2xx: a.api.reduce((n, r) => n + r.non2xx, 0),
      },
      consumer: b,
      consumerRedisCluster: d,
      redisMemory: c,
    };
    const dir = join(ROOT, 'reports');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(summary, null, 2));
    printTable(summary, cpuMillis);
    console.log('');
    log(
      `CPU quota per process: ${cpuMillis}m${a.cgroups ? ' (cgroup)' : ' NOT APPLIED (cgroups not writable)'}; consumer unlimited; written ${file}`,
    );
  } finally {
    await down(config, true);
  }
}

main().catch((error: Error) => {
  console.error(`[bench] error: ${error.message}`);
  process.exit(1);
});
