import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { JsonLogger } from '@rate/observability';

/** Seconds a client should wait before retrying a 503 (Kafka or Redis unavailable). */
export const RETRY_AFTER_SECONDS = 1;

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** NestJS' default error shape, for Nest exceptions and any other 4xx error alike. */
export function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isHealthReport(exception)) {
      // terminus' 503 body names the failing dependency: keep it whole.
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const body = toErrorBody(exception);
    if (body.statusCode >= 500 && body.statusCode !== HttpStatus.SERVICE_UNAVAILABLE) {
      this.logger.write('error', 'unhandled error', { error: exception instanceof Error ? exception.stack : String(exception) });
    }
    sendError(reply, body);
  }
}

function isHealthReport(exception: unknown): exception is HttpException {
  if (!(exception instanceof HttpException)) return false;
  const response = exception.getResponse();
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response;
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    return errorBody(exception.getStatus(), Array.isArray(message) ? message.join('; ') : String(message ?? exception.message));
  }
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return errorBody(statusCode, (exception as Error).message);
  }
  return errorBody(500, 'internal error');
}

export function sendError(reply: FastifyReply, body: ErrorBody): void {
  if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
}
