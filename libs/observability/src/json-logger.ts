import { LoggerService } from '@nestjs/common';
import { logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
import { LogLevel } from '@rate/config';

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One JSON object per line on stdout: what log shippers in a cluster expect. */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel,
    private readonly base: Record<string, unknown>,
  ) {}

  write(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (SEVERITY[level] > SEVERITY[this.level]) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.base, ...fields })}\n`);
  }

  log(message: unknown, context?: string): void {
    this.write('info', String(message), context ? { context } : {});
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', String(message), { ...(context ? { context } : {}), ...(trace ? { trace } : {}) });
  }

  warn(message: unknown, context?: string): void {
    this.write('warn', String(message), context ? { context } : {});
  }

  debug(message: unknown, context?: string): void {
    this.write('debug', String(message), context ? { context } : {});
  }

  verbose(message: unknown, context?: string): void {
    this.debug(message, context);
  }

  /** kafkajs logCreator: routes the client's own logs through the same JSON lines. */
  kafkaLogCreator(): () => (entry: LogEntry) => void {
    return () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...rest } = log;
        const mapped: LogLevel =
          level === KafkaLogLevel.ERROR ? 'error' : level === KafkaLogLevel.WARN ? 'warn' : level === KafkaLogLevel.INFO ? 'info' : 'debug';
        this.write(mapped, message, { context: 'kafkajs', ...rest });
      };
  }
}

export function kafkaLogLevel(level: LogLevel): KafkaLogLevel {
  // kafkajs is chatty at INFO (every rebalance, every connect); its INFO is our debug.
  return { error: KafkaLogLevel.ERROR, warn: KafkaLogLevel.WARN, info: KafkaLogLevel.WARN, debug: KafkaLogLevel.INFO }[level];
}
