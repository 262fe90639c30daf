import { INestApplication } from '@nestjs/common';
import { JsonLogger } from './json-logger';

export interface ShutdownSteps {
  /** Runs at once on the signal: readiness turns red. */
  beforeDrain?: () => void;
  /**
   * How long the process keeps serving after readiness turned red, before it closes: the time a
   * balancer needs to notice (Kubernetes removes the endpoint and ingress controllers pick that up
   * asynchronously; closing at once would refuse or reset requests still routed here).
   */
  drainMs?: number;
  /** Runs after the drain, before the app closes (e.g. stop accepting connections gently). */
  beforeClose?: () => Promise<void>;
}

/**
 * SIGTERM/SIGINT: readiness red, keep serving for the drain period, then close the app (stop
 * accepting, finish in-flight work, shutdown hooks flush clients) and exit 0; exit 1 if closing
 * takes longer than the grace period.
 */
export function exitOnSignals(app: INestApplication, logger: JsonLogger, graceMs: number, steps: ShutdownSteps = {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const drainMs = steps.drainMs ?? 0;
    logger.write('info', 'shutting down', { signal, drainMs });
    steps.beforeDrain?.();
    setTimeout(() => {
      setTimeout(() => {
        logger.write('error', 'shutdown grace period exceeded', { graceMs });
        process.exit(1);
      }, graceMs).unref();
      (steps.beforeClose?.() ?? Promise.resolve())
        .then(() => app.close())
        .then(() => process.exit(0))
        .catch((error: Error) => {
          logger.write('error', 'shutdown failed', { error: error.message });
          process.exit(1);
        });
    }, drainMs);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
