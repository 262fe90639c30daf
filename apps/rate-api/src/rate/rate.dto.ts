import { ApiProperty } from '@nestjs/swagger';
import { DEFAULT_SUBJECT, SUBJECT_PATTERN } from '@rate/contracts';

/**
 * The shapes of the rate endpoints for the OpenAPI document only: validation stays in
 * rate-input.ts (no ValidationPipe), so documenting a shape never changes what is accepted.
 * The rate bounds are filled in from the configuration when the document is built.
 */
export class RateInputDto {
  @ApiProperty({ type: 'integer', description: 'a JSON integer literal in [RATE_MIN, RATE_MAX] (5.0, 1e1, "5" are rejected)' })
  rate!: number;

  @ApiProperty({ required: false, pattern: SUBJECT_PATTERN.source, default: DEFAULT_SUBJECT })
  subject?: string;
}

export class RateAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ pattern: SUBJECT_PATTERN.source })
  subject!: string;

  @ApiProperty({ type: 'integer' })
  rate!: number;
}

export class RateAggregateDto {
  @ApiProperty({ pattern: SUBJECT_PATTERN.source })
  subject!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  count!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  sum!: number;

  @ApiProperty({ type: 'number', nullable: true })
  avg!: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  min!: number | null;

  @ApiProperty({ type: 'integer', nullable: true })
  max!: number | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', minimum: 0 }, description: 'count per rate value, "1" … "10"' })
  histogram!: Record<string, number>;
}

/** NestJS' default error shape, which every error of the API has. */
export class ErrorBodyDto {
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ description: 'what was wrong' })
  message!: string;
}
