import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from '../rate/rate.dto';

const RETRY_AFTER = {
  'Retry-After': { required: true, description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

const MEANING: Record<number, string> = {
  400: 'invalid rate, subject, body, Idempotency-Key or an unknown/repeated parameter; nothing was produced',
  413: 'body larger than 1 KiB',
  415: 'body is not application/json',
  429: 'too many requests from this client (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_S)',
  503: 'a dependency is unavailable; for POST, the rating was not accepted (retry, with the same Idempotency-Key)',
};

/** The error responses an operation can give, each with the one error body shape. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: MEANING[status],
        type: ErrorBodyDto,
        headers: status === 503 || status === 429 ? RETRY_AFTER : undefined,
      }),
    ),
  );
}
