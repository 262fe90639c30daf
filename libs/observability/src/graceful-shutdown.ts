import { INestApplication } from '@nestjs/common';
import { JsonLogger } from './json-logger';

/**
 * SIGTERM/SIGINT: run `before` (readiness red), close the app (stop accepting, finish in-flight
 * work, shutdown hooks flush clients), exit 0; exit 1 if that takes longer than the grace period.
 */
export function exitOnSignals(app: INestApplication, logger: JsonLogger, graceMs: number, before: () => void = () => undefined): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.write('info', 'shutting down', { signal });
    setTimeout(() => {
      logger.write('error', 'shutdown grace period exceeded', { graceMs });
      process.exit(1);
    }, graceMs).unref();
    before();
    app
      .close()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        logger.write('error', 'shutdown failed', { error: error.message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
