import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { apiCpuLimitMillis } from '../stack/chart-values';
import { cpuThrottling } from '../stack/cpu-quota';
import { down, readState, runningRecord, status, up } from '../stack/stack';
import { ROOT, stackConfig, StackConfig } from '../stack/stack-config';
import { wrkPost } from '../bench/wrk';
import { median, searchCapacity, StepResult } from './capacity-search';
import { ExperimentMeta, ReplicaRun } from './experiment-types';
import { CpuWindow } from './process-cpu';
import { buildSummary, headlineTable, renderHtml, renderMarkdown } from './report';
import { attackK6 } from './k6';
import { attack, AttackResult, writeTargets } from './vegeta';

interface Definitions {
  objective: { p99_ms: number; max_error_rate: number };
  subjects: number;
  closed: { vus: number; duration_s: number };
  open: { rate: number; duration_s: number; fraction_of_capacity_1: number };
  capacity: { start_rate: number; step_factor: number; step_duration_s: number; max_rate: number };
  repeats: number;
  quick: { closed: { duration_s: number }; open: { duration_s: number }; capacity: { step_duration_s: number; step_factor: number }; repeats: number };
}

const USAGE = `usage: npm run experiment -- [--quick] [--replicas 1,3] [--values charts/rate/ci/experiment-values.yaml] [--target local|k8s] [--base-url http://localhost]
       npm run experiment -- --render reports/<timestamp>   (rebuild the report from runs.json and meta.json)`;

function parseArgs(argv: string[]) {
  const options = { quick: false, replicas: [1, 3], values: join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml'), target: 'local', baseUrl: '' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') options.quick = true;
    else if (flag === '--replicas') {
      const raw = value() ?? '';
      if (!/^[1-9]\d*(,[1-9]\d*)*$/.test(raw)) throw new Error(`--replicas takes a list like 1,3 or 1,2,3, got ${JSON.stringify(raw)}`);
      options.replicas = [...new Set(raw.split(',').map(Number))].sort((a, b) => a - b);
    } else if (flag === '--values') options.values = resolve(value() ?? '');
    else if (flag === '--target') options.target = value() ?? '';
    else if (flag === '--base-url') options.baseUrl = (value() ?? '').replace(/\/+$/, '');
    else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  if (!['local', 'k8s'].includes(options.target)) throw new Error(`--target takes local or k8s, got ${JSON.stringify(options.target)}`);
  if (options.target === 'k8s') {
    for (const tool of ['helm', 'k6']) if (!onPath(tool)) throw new Error(`--target k8s needs ${tool} on PATH`);
    options.baseUrl ||= 'http://localhost';
  }
  if (!existsSync(options.values)) throw new Error(`--values ${options.values} does not exist`);
  return options;
}

function onPath(tool: string): boolean {
  try {
    execFileSync(tool, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function definitions(quick: boolean): Definitions {
  const defs = JSON.parse(readFileSync(join(ROOT, 'loadtest', 'scenarios.json'), 'utf8')) as Definitions;
  if (!quick) return defs;
  return {
    ...defs,
    closed: { ...defs.closed, ...defs.quick.closed },
    open: { ...defs.open, ...defs.quick.open },
    capacity: { ...defs.capacity, ...defs.quick.capacity },
    repeats: defs.quick.repeats,
  };
}

const log = (line: string) => console.log(`[experiment] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads what nginx appended to its access log since `offset` and counts requests per upstream port. */
function upstreamCounts(logFile: string, offset: number): Record<string, number> {
  const size = statSync(logFile).size;
  const fd = openSync(logFile, 'r');
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  readSync(fd, buffer, 0, buffer.length, offset);
  closeSync(fd);
  const counts: Record<string, number> = {};
  for (const match of buffer.toString().matchAll(/upstream=127\.0\.0\.1:(\d+) /g)) counts[match[1]] = (counts[match[1]] ?? 0) + 1;
  return counts;
}

async function countOf(baseUrl: string, subject: string): Promise<number> {
  const response = await fetch(`${baseUrl}/rate?subject=${subject}`);
  if (response.status !== 200) return -1;
  return ((await response.json()) as { count: number }).count;
}

/** Waits until the consumer has caught up: the subjects' total stops moving (or reaches `expected`). */
async function drainedTotal(baseUrl: string, subjects: string[], expected: number): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const counts = await Promise.all(subjects.map((s) => countOf(baseUrl, s)));
    const total = counts.reduce((a, b) => a + Math.max(0, b), 0);
    if (total !== last) {
      last = total;
      stableSince = Date.now();
    }
    if ((total >= expected && Date.now() - stableSince > 1000) || Date.now() - stableSince > 5000 || Date.now() > deadline) return total;
    await sleep(250);
  }
}

/** Freshness: POST a rating on a fresh subject and time until GET shows it. */
async function freshnessProbe(baseUrl: string, prefix: string, until: () => boolean, samples: number[], subjects: string[]): Promise<void> {
  for (let i = 0; !until(); i++) {
    const subject = `${prefix}-${i}`;
    const response = await fetch(`${baseUrl}/rate?rate=1&subject=${subject}`, { method: 'POST' });
    if (response.status === 202) {
      subjects.push(subject);
      const accepted = Date.now();
      while (Date.now() - accepted < 5000) {
        if ((await countOf(baseUrl, subject)) >= 1) {
          samples.push(Date.now() - accepted);
          break;
        }
        await sleep(5);
      }
    }
    await sleep(250);
  }
}

/** % of CFS periods in which each replica was throttled between two cpu.stat readings. */
function throttledShare(names: string[], before: ReturnType<typeof cpuThrottling>[], after: ReturnType<typeof cpuThrottling>[]): Record<string, number> {
  const share: Record<string, number> = {};
  names.forEach((name, i) => {
    const a = before[i];
    const b = after[i];
    if (a && b && b.periods > a.periods) share[name] = Math.round((1000 * (b.throttled - a.throttled)) / (b.periods - a.periods)) / 10;
  });
  return share;
}

function stackPids(config: StackConfig, replicas: number): Map<string, number> {
  const names = ['nginx', ...Array.from({ length: replicas }, (_, i) => `api-${i + 1}`), 'kafka', 'redis', 'consumer'];
  const pids = new Map<string, number>();
  for (const name of names) {
    const record = runningRecord(config, name);
    if (record) pids.set(name, record.pid);
  }
  return pids;
}

/** --render DIR: rebuild summary.json, report.md and report.html from a run's runs.json and meta.json. */
function render(dir: string): void {
  const runs = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as ReplicaRun[];
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ExperimentMeta;
  const summary = buildSummary(meta, runs);
  const markdown = renderMarkdown(summary, meta);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  writeFileSync(join(dir, 'report.html'), renderHtml(summary, meta, runs, markdown));
  console.log(headlineTable(summary));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--render') {
    render(resolve(process.argv[3] ?? ''));
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  const defs = definitions(options.quick);
  const startedAt = new Date().toISOString();
  const outDir = join(ROOT, 'reports', startedAt.replace(/[:.]/g, '-'));
  const rawDir = join(outDir, 'raw');
  mkdirSync(rawDir, { recursive: true });
  const config = stackConfig({ ...process.env, RATE_VALUES_FILE: options.values });
  const k8s = options.target === 'k8s';
  const baseUrl = k8s ? options.baseUrl : `http://127.0.0.1:${config.nginxPort}`;
  const vegeta = join(config.toolsDir, 'bin', 'vegeta');
  const wrk = join(config.toolsDir, 'bin', 'wrk');
  // The same open scenario through k6 whenever it is installed (always on a cluster), else vegeta.
  const driver: 'k6' | 'vegeta' = k8s || onPath('k6') ? 'k6' : 'vegeta';
  for (const tool of driver === 'vegeta' ? [vegeta, wrk] : []) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run npm run tools:install (npm run experiment installs it itself)`);
  }
  const drive = (targets: string, subjectPrefix: string, rate: number, seconds: number, raw: string) =>
    driver === 'k6'
      ? attackK6('k6', baseUrl, subjectPrefix, defs.subjects, rate, seconds, join(rawDir, `${raw}.k6.json`))
      : attack(vegeta, targets, rate, seconds, join(rawDir, `${raw}.bin`));
  const wasRunning = !k8s && (await status(config)).some((s) => s.running);
  const cpuMillis = apiCpuLimitMillis(options.values);
  const objective = { p99Ms: defs.objective.p99_ms, maxErrorRate: defs.objective.max_error_rate };
  const runs: ReplicaRun[] = [];
  let openRate = defs.open.rate;
  let cgroupProblem: string | null = null;
  const tag = startedAt.replace(/\D/g, '').slice(2, 14);
  log(`writing to ${outDir}; ${options.quick ? 'quick run' : 'full run'}; replicas ${options.replicas.join(', ')}; ${cpuMillis}m CPU per API replica`);

  try {
    for (const replicas of options.replicas) {
      const prefix = `exp${tag}-r${replicas}`;
      if (k8s) {
        log(`[${replicas} replica(s)] helm upgrade --install rate ./charts/rate --set replicas=${replicas}`);
        execFileSync('helm', ['upgrade', '--install', 'rate', join(ROOT, 'charts', 'rate'), '-f', options.values, '--set', `replicas=${replicas}`, '--wait', '--timeout', '10m'], { stdio: 'inherit' });
      } else {
        log(`[${replicas} replica(s)] starting the stack`);
        const state = await up(config, { replicas, log: (l) => log(`[${replicas} replica(s)] ${l}`) });
        if (!state.cgroups) cgroupProblem = state.cgroupProblem;
      }
      const accessLog = join(config.runDir, 'nginx', 'access.log');
      // On a cluster, CPU and balance come from the cluster's own monitoring, not from /proc here.
      const pids = k8s ? new Map<string, number>() : stackPids(config, replicas);
      const apiNames = k8s ? [] : Array.from({ length: replicas }, (_, i) => `api-${i + 1}`);

      const capSubjects = Array.from({ length: defs.subjects }, (_, i) => `${prefix}-cap-${i}`);
      const capTargets = join(rawDir, `targets-r${replicas}-cap.http`);
      writeTargets(capTargets, baseUrl, capSubjects);
      const openSubjects = Array.from({ length: defs.subjects }, (_, i) => `${prefix}-open-${i}`);
      const openTargets = join(rawDir, `targets-r${replicas}-open.http`);
      writeTargets(openTargets, baseUrl, openSubjects);
      let capAccepted = 0;
      const accepted = (r: AttackResult) => r.statusCodes['202'] ?? 0;

      log(`[${replicas} replica(s)] warm-up`);
      capAccepted += accepted(await drive(capTargets, `${prefix}-cap`, 100, options.quick ? 3 : 5, `r${replicas}-warmup`));

      const closed: ReplicaRun['closed'] = [];
      for (let i = 1; i <= defs.repeats && !k8s; i++) {
        const result = await wrkPost(wrk, rawDir, `${baseUrl}/rate?rate=5&subject=${prefix}-closed`, defs.closed.duration_s, defs.closed.vus, defs.closed.vus);
        writeFileSync(join(rawDir, `r${replicas}-closed-${i}.wrk.txt`), result.output);
        closed.push({ rps: result.rps, p50Ms: result.p50Ms, meanMs: result.meanMs, p99Ms: result.p99Ms, connections: defs.closed.vus });
        log(`[${replicas} replica(s)] closed model (wrk -c${defs.closed.vus} -t${defs.closed.vus}) ${i}/${defs.repeats}: ${result.rps.toFixed(0)} rps, p50 ${result.p50Ms} ms`);
      }

      const capacity: ReplicaRun['capacity'] = [];
      let cpuAtCapacity: Record<string, number> = {};
      let throttledPct: ReplicaRun['throttledPct'] = { atCapacity: {}, atFailure: {} };
      let bestCapacity = 0;
      for (let i = 1; i <= defs.repeats; i++) {
        const startRate = i === 1 ? defs.capacity.start_rate : Math.max(defs.capacity.start_rate, Math.round(capacity[0].capacity * 0.6));
        const cpuByRate = new Map<number, Record<string, number>>();
        const throttleByRate = new Map<number, Record<string, number>>();
        const result = await searchCapacity(
          { ...objective, startRate, stepFactor: defs.capacity.step_factor, maxRate: defs.capacity.max_rate, refineSteps: 2 },
          async (rate): Promise<StepResult> => {
            const window = new CpuWindow(pids);
            const throttling = apiNames.map((name) => cpuThrottling(config.id, name));
            const r = await drive(capTargets, `${prefix}-cap`, rate, defs.capacity.step_duration_s, `r${replicas}-capacity-${i}-${rate}`);
            const cpu = window.finish();
            throttleByRate.set(rate, throttledShare(apiNames, throttling, apiNames.map((name) => cpuThrottling(config.id, name))));
            cpuByRate.set(rate, { ...cpu, generator: r.generatorCpuPct });
            capAccepted += accepted(r);
            log(`[${replicas} replica(s)] capacity ${i}/${defs.repeats}: offered ${rate} rps → sent ${r.sentRate.toFixed(0)}, p99 ${r.p99Ms} ms, errors ${(r.errorRate * 100).toFixed(2)} %`);
            return { offered: rate, achieved: r.sentRate, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errorRate: r.errorRate };
          },
        );
        capacity.push(result);
        if (result.capacity >= bestCapacity) {
          bestCapacity = result.capacity;
          cpuAtCapacity = cpuByRate.get(result.capacity) ?? {};
          const firstFailure = result.steps.find((step) => !step.pass && step.offered > result.capacity);
          throttledPct = { atCapacity: throttleByRate.get(result.capacity) ?? {}, atFailure: firstFailure ? (throttleByRate.get(firstFailure.offered) ?? {}) : {} };
        }
        log(`[${replicas} replica(s)] capacity ${i}/${defs.repeats}: ${result.capacity} rps (limited by ${result.limitedBy})`);
        await sleep(2000);
      }

      if (runs.length === 0 && replicas === 1) {
        openRate = Math.max(50, Math.round(median(capacity.map((c) => c.capacity)) * defs.open.fraction_of_capacity_1));
        log(`equal offered load for every replica count: ${openRate} rps (${defs.open.fraction_of_capacity_1} × capacity of 1 replica)`);
      }

      const open: ReplicaRun['open'] = [];
      const freshness: number[] = [];
      const freshSubjects: string[] = [];
      let openAccepted = 0;
      const shareCounts: Record<string, number> = {};
      for (let i = 1; i <= defs.repeats; i++) {
        const offset = !k8s && existsSync(accessLog) ? statSync(accessLog).size : 0;
        const window = new CpuWindow(pids);
        let running = true;
        const probe = freshnessProbe(baseUrl, `${prefix}-fresh${i}`, () => !running, freshness, freshSubjects);
        const r = await drive(openTargets, `${prefix}-open`, openRate, defs.open.duration_s, `r${replicas}-open-${i}`);
        running = false;
        await probe;
        const cpu = window.finish();
        await sleep(1500); // nginx flushes its access log buffer every second
        if (!k8s) for (const [port, n] of Object.entries(upstreamCounts(accessLog, offset))) shareCounts[port] = (shareCounts[port] ?? 0) + n;
        openAccepted += accepted(r);
        open.push({ offered: openRate, sentRate: r.sentRate, p50Ms: r.p50Ms, p90Ms: r.p90Ms, p99Ms: r.p99Ms, errorRate: r.errorRate, generatorCpuPct: r.generatorCpuPct, cpuPct: cpu });
        log(`[${replicas} replica(s)] open ${openRate} rps ${i}/${defs.repeats}: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${(r.errorRate * 100).toFixed(2)} %, generator CPU ${r.generatorCpuPct} %`);
      }
      const shareTotal = Object.values(shareCounts).reduce((a, b) => a + b, 0);
      const replicaShare: Record<string, number> = {};
      for (const [port, n] of Object.entries(shareCounts)) replicaShare[`api-${Number(port) - config.apiBasePort + 1}`] = Math.round((1000 * n) / shareTotal) / 1000;

      log(`[${replicas} replica(s)] draining and checking integrity`);
      const expected = openAccepted + freshSubjects.length;
      const aggregated = await drainedTotal(baseUrl, [...openSubjects, ...freshSubjects], expected);
      const capAggregated = await drainedTotal(baseUrl, capSubjects, capAccepted);
      runs.push({
        replicas,
        closed,
        capacity,
        open,
        cpuAtCapacity,
        throttledPct,
        replicaShare,
        freshnessMs: freshness,
        integrity: { accepted: expected, aggregated, lost: Math.max(0, expected - aggregated), duplicated: Math.max(0, aggregated - expected) },
        capacityTraffic: { accepted: capAccepted, aggregated: capAggregated },
      });
      log(`[${replicas} replica(s)] integrity: ${expected} accepted, ${aggregated} aggregated`);
    }
  } finally {
    // Whether it finished or failed, the experiment leaves running only what was running before.
    if (!wasRunning && !k8s) {
      await down(config, false);
      log('stopped the stack it started (data kept; npm run stack:down -- --purge deletes it)');
    }
  }

  const meta: ExperimentMeta = {
    startedAt,
    quick: options.quick,
    driver,
    target: options.target,
    cpuLimitPerReplica: `${cpuMillis}m`,
    // On a cluster the kubelet enforces resources.limits; locally the stack's cgroups do.
    cgroups: k8s || (cgroupProblem === null && (readState(config)?.cgroups ?? false)),
    cgroupProblem,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) },
    objective: defs.objective,
    openRate,
    repeats: defs.repeats,
    valuesFile: options.values.replace(`${ROOT}/`, ''),
  };
  const summary = buildSummary(meta, runs);
  const markdown = renderMarkdown(summary, meta);
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, 'runs.json'), `${JSON.stringify(runs, null, 2)}\n`);
  writeFileSync(join(outDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.md'), markdown);
  writeFileSync(join(outDir, 'report.html'), renderHtml(summary, meta, runs, markdown));
  for (const file of readdirSync(rawDir).filter((f) => f.endsWith('.bin'))) {
    writeFileSync(join(rawDir, file.replace(/\.bin$/, '.json')), execFileSync(vegeta, ['report', '-type=json', join(rawDir, file)]));
  }
  console.log('');
  console.log(headlineTable(summary));
  console.log('');
  if (!meta.cgroups) log(`WARNING: API replicas ran WITHOUT CPU limits (${cgroupProblem}); the comparison is not meaningful`);
  log(`report: ${join(outDir, 'report.md')} and report.html`);
}

main().catch((error: Error) => {
  console.error(`[experiment] error: ${error.message}`);
  process.exit(1);
});
