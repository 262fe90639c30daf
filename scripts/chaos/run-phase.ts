import { setTimeout as sleep } from 'node:timers/promises';
import { readCount, readCounts } from './aggregate-reader';
import { accepted, apiRecoverySeconds, classify, DestroyWindow, excuseDestroyed, failuresByStatus, faultRow, warmupProblem } from './audit';
import { CatchUpTracker } from './catch-up';
import { ChaosStack, PARTITIONS } from './chaos-stack';
import { FaultDetail } from './chaos-types';
import { Fault, FaultContext } from './faults';
import { OpenLoad, postRating } from './load-generator';
import { Profile } from './profiles';

/**
 * One fault's phase: a steady stack, open audited load, the fault, load until the API accepts
 * again, the consumer's catch-up, and every request judged against GET /rate.
 */
/** Posts a probe rating (not audited) until one is accepted and counted, or the time is up. */
async function probeAccepted(stack: ChaosStack, prefix: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; Date.now() < deadline; n++) {
    const subject = `${prefix}-probe-${n}`;
    if ((await postRating(stack.baseUrl, subject, 1, undefined, 10_000)).status === 202) {
      while (Date.now() < deadline) {
        if ((await readCount(stack.baseUrl, subject)) === 1) return true;
        await sleep(250);
      }
    }
    await sleep(1000);
  }
  return false;
}

/**
 * Every fault starts from a stack that accepts ratings and aggregates them. One a previous fault
 * left broken is restarted (API replicas and consumers), as an operator would, and the fault's
 * notes say so.
 */
async function steadyState(stack: ChaosStack, prefix: string, notes: string[], log: (line: string) => void): Promise<void> {
  if (await probeAccepted(stack, prefix, 120_000)) return;
  log('  the stack does not accept and aggregate ratings: restarting the API replicas and consumers (as an operator would)');
  notes.push(
    'before this fault the stack did not accept and aggregate a rating within 120 s: the harness restarted the API replicas and consumers',
  );
  await stack.restart([...stack.apiNames(), ...stack.consumerNames()]);
  if (!(await probeAccepted(stack, prefix, 180_000)))
    throw new Error('the stack does not accept and aggregate ratings even after restarting the API replicas and consumers');
}

/** What a fault sets while it runs: when it really started, and a span whose ratings it destroys. */
interface PhaseMarks {
  faultStart: number;
  window: DestroyWindow | null;
}

export async function runPhase(stack: ChaosStack, fault: Fault, profile: Profile, prefix: string, log: (line: string) => void) {
  const notes: string[] = [];
  const marks: PhaseMarks = { faultStart: 0, window: null };
  const ctx: FaultContext = {
    stack,
    profile,
    note: (line) => notes.push(line),
    log,
    started: () => (marks.faultStart = Date.now()),
    destroyWindow: (w) => (marks.window = w),
  };
  stack.events.length = 0;
  await fault.prepare?.(ctx);
  await steadyState(stack, prefix, notes, log);
  const phaseStart = Date.now();
  const run = startAuditedLoad(stack, fault, profile, prefix);
  const loadStart = Date.now();
  await sleep(profile.warmupS * 1000);
  marks.faultStart = Date.now();
  const saturated = warmupProblem(run.load.answeredSince(loadStart).filter((a) => a.answeredAt <= marks.faultStart));
  if (saturated) {
    notes.push(saturated);
    log(`  ${saturated}`);
  }
  const injectionError = await inject(fault, ctx, log);
  const faultEnd = Date.now();
  log(`  fault over after ${((faultEnd - marks.faultStart) / 1000).toFixed(1)} s; load continues until the API accepts again`);
  await untilAccepting(run.load, faultEnd, profile, notes);
  await run.load.stop();
  const apiRecoveryS = apiRecoverySeconds(run.load.records, marks.faultStart);
  if (apiRecoveryS === null) {
    log('  the API did not accept again: restarting the API replicas (as an operator would)');
    notes.push('the API still failed when the load stopped: the harness then restarted the API replicas, as an operator would');
    await stack.restart(stack.apiNames());
  }
  log(`  load stopped (${run.load.records.length} requests); waiting for the consumer to catch up`);
  const drained = await run.drain(profile.catchUpTimeoutS * 1000);
  const { classified, missing } = await auditPhase(stack, run.load, drained, marks.window, profile, notes, log);
  const records = run.load.records;
  const detail: FaultDetail = {
    row: faultRow(fault.name, classified, apiRecoveryS, run.tracker.catchUpSeconds(faultEnd)),
    zeroFailures: fault.zeroFailures ?? false,
    durationS: (Date.now() - phaseStart) / 1000,
    notes,
    examples: {
      lost: classified.lost.slice(0, 5),
      duplicated: classified.duplicated.slice(0, 5),
      writtenDespiteError: classified.writtenDespiteError.slice(0, 5),
    },
    failures: failuresByStatus(records),
    ...(injectionError ? { error: injectionError } : {}),
  };
  await fault.restore?.(ctx);
  return { detail, records, missing: drained ? new Set<string>() : missing, window: marks.window };
}

/** Open load whose every 202 the catch-up tracker follows until it is visible in GET /rate. */
function startAuditedLoad(stack: ChaosStack, fault: Fault, profile: Profile, prefix: string) {
  const tracker = new CatchUpTracker(PARTITIONS, async (subject) => {
    const count = await readCount(stack.baseUrl, subject, 2000);
    return count === null ? null : count > 0;
  });
  const load = new OpenLoad({
    baseUrl: stack.baseUrl,
    rate: profile.rate,
    prefix,
    keyEvery: fault.retryingClient ? 1 : profile.keyEvery,
    maxAttempts: fault.retryingClient ? 10 : 1,
    timeoutMs: profile.clientTimeoutMs,
    onAccepted: (subject, at) => tracker.accepted(subject, at),
  });
  let checking = true;
  const checker = (async () => {
    while (checking) {
      const at = Date.now();
      await tracker.check(at);
      await sleep(Math.max(0, 250 - (Date.now() - at)));
    }
  })();
  load.start();
  /** After the load stopped: waits until every 202 is visible (or the time is up); whether it drained. */
  const drain = async (timeoutMs: number): Promise<boolean> => {
    const loadEnd = Date.now();
    while (!tracker.drained() && Date.now() - loadEnd < timeoutMs) await sleep(250);
    checking = false;
    await checker;
    return tracker.drained();
  };
  return { load, tracker, drain };
}

/** A fault that was not injected proves nothing: the row fails ("not run"), whatever its counts. */
async function inject(fault: Fault, ctx: FaultContext, log: (line: string) => void): Promise<string | undefined> {
  try {
    await fault.inject(ctx);
    return undefined;
  } catch (error) {
    log(`  fault injection failed: ${(error as Error).message}`);
    return `the fault's injection failed: ${(error as Error).message}`;
  }
}

/** The load goes on for the tail, and as long as requests still fail (the API's recovery is part of the measurement). */
async function untilAccepting(load: OpenLoad, faultEnd: number, profile: Profile, notes: string[]): Promise<void> {
  for (;;) {
    await sleep(250);
    const now = Date.now();
    // Healthy: the last second's worth of answers (at least 5) were all 202.
    const last = load.answeredSince(faultEnd).slice(-Math.max(5, profile.rate));
    const healthy = last.length >= 5 && last.every((a) => a.status === 202);
    if (now - faultEnd >= profile.tailS * 1000 && healthy) return;
    if (now - faultEnd >= profile.maxTailS * 1000) {
      notes.push(`the API still failed requests ${profile.maxTailS} s after the fault ended`);
      return;
    }
  }
}

/** Every request of the phase judged against GET /rate; a consumer that did not drain is restarted, as an operator would. */
async function auditPhase(
  stack: ChaosStack,
  load: OpenLoad,
  drained: boolean,
  window: DestroyWindow | null,
  profile: Profile,
  notes: string[],
  log: (line: string) => void,
) {
  const records = load.records;
  const counts = await readCounts(
    stack.baseUrl,
    records.map((r) => r.subject),
  );
  const missing = new Set(records.filter((r) => accepted(r) && counts.get(r.subject) === 0).map((r) => r.subject));
  if (!drained) {
    notes.push(
      `the consumer did not make every accepted rating visible within ${profile.catchUpTimeoutS} s after the load stopped (${missing.size} missing): counted as lost`,
    );
    // An operator would now restart the group; so does the harness, so the next fault starts healthy.
    log('  consumer did not catch up: restarting the consumers (as an operator would)');
    await stack.restart(stack.consumerNames());
    notes.push('the harness then restarted the consumers, as an operator would, before the next fault');
  }
  const audited = excuseDestroyed(classify(records, { counts, missingAtDeadline: drained ? undefined : missing }), records, window);
  if (window !== null) {
    notes.push(
      `${audited.destroyed.length} rating(s) ${window.why} (${((window.to - window.from) / 1000).toFixed(1)} s) were not counted: destroyed with the topic, not lost by the product${audited.destroyed.length > 0 ? ` (${audited.destroyed.slice(0, 5).join(', ')})` : ''}`,
    );
  }
  notes.push(...stack.events.splice(0));
  if (load.dropped > 0) notes.push(`${load.dropped} requests not sent: the generator had too many in flight`);
  const retried = records.filter((r) => r.attempts.length > 1).length;
  if (retried > 0)
    notes.push(`${retried} requests retried with their Idempotency-Key (${records.reduce((n, r) => n + r.attempts.length, 0)} attempts)`);
  return { classified: audited.classified, missing };
}
