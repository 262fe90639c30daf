/** The parts of kafkajs' internal RequestQueue (one per broker connection) that the fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  sendSocketRequest(request: unknown): void;
}

/** The kafkajs release whose RequestQueue has the idle loop; another version is left alone. */
const AFFECTED_VERSION = '2.2.4';
/** kafkajs' own re-check interval for requests held back by a broker's throttle. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs 2.2.4 re-arms a timer on every broker connection even when nothing is pending: with no
 * throttle in effect the delay is negative, Node clamps it to 1 ms, and each run schedules the
 * next (upstream issues #1556 and #1704, unfixed there). An idle API replica woke ~600 times a
 * second for it and burnt ~3 % of a core — an eighth of its 250m quota — and every consumer
 * connection did the same. Here the re-check runs only while requests are pending: a request that
 * cannot go out at once is pending, and the queue checks again when an in-flight one completes.
 * Returns whether the fix is in place.
 */
export function applyRequestQueueIdleFix(): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== AFFECTED_VERSION) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
  return true;
}
