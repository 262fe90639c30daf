import { BadRequestException, Controller, Get, HttpCode, Inject, Post, Query, Req, ServiceUnavailableException } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOkResponse, ApiQuery } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { DEFAULT_SUBJECT, RateAggregate, SUBJECT_PATTERN } from '@rate/contracts';
import { ProduceUnavailableError } from '@rate/kafka';
import { childTrace, formatTraceparent, parseTraceparent, TRACEPARENT_HEADER } from '@rate/observability';
import { JsonBody } from '../http/json-body.parser';
import { ApiErrors } from '../openapi/api-errors.decorator';
import { RateAcceptedDto, RateAggregateDto, RateInputDto } from './rate.dto';
import { idempotencyKeyFrom, InputResult, ratingFromBody, ratingFromQuery, subjectFromQuery } from './rate-input';
import { RateService } from './rate.service';

function valueOrBadRequest<T>(result: InputResult<T>): T {
  if (!result.ok) throw new BadRequestException(result.message);
  return result.value;
}

@Controller('rate')
export class RateController {
  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    private readonly rates: RateService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiQuery({
    name: 'rate',
    required: false,
    schema: { type: 'integer' },
    description: 'the rating (seed-compatible form); or give a JSON body instead',
  })
  @ApiQuery({ name: 'subject', required: false, schema: { type: 'string', pattern: SUBJECT_PATTERN.source, default: DEFAULT_SUBJECT } })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', pattern: SUBJECT_PATTERN.source },
    description: 'retries with the same key are counted once',
  })
  @ApiHeader({
    name: TRACEPARENT_HEADER,
    required: false,
    schema: { type: 'string' },
    description: 'W3C trace context, continued into the Kafka record (a new trace when absent or invalid)',
  })
  @ApiBody({ type: RateInputDto, required: false, description: 'instead of the query string' })
  @ApiAcceptedResponse({ type: RateAcceptedDto, description: 'Kafka acknowledged the rating (acks=all)' })
  @ApiErrors(400, 413, 415, 429, 503)
  async submit(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string; subject: string; rate: number }> {
    const body = request.body as JsonBody | undefined;
    if (body !== undefined && Object.keys(query).length > 0) {
      throw new BadRequestException('give the rating either in the query string or in a JSON body, not both');
    }
    const rating = valueOrBadRequest(
      body === undefined ? ratingFromQuery(query, this.config) : ratingFromBody(body.raw, body.value, this.config),
    );
    const idempotencyKey = valueOrBadRequest(idempotencyKeyFrom(request.headers['idempotency-key']));
    try {
      const trace = formatTraceparent(childTrace(parseTraceparent(request.headers[TRACEPARENT_HEADER])));
      const event = await this.rates.submit(rating, trace, idempotencyKey);
      return { id: event.id, subject: event.subject, rate: event.rate };
    } catch (error) {
      if (error instanceof ProduceUnavailableError) throw new ServiceUnavailableException(`rating not accepted: ${error.message}`);
      throw error;
    }
  }

  @Get()
  @ApiQuery({ name: 'subject', required: false, schema: { type: 'string', pattern: SUBJECT_PATTERN.source, default: DEFAULT_SUBJECT } })
  @ApiOkResponse({ type: RateAggregateDto, description: 'the aggregate; count 0 and nulls for an unseen subject' })
  @ApiErrors(400, 429, 503)
  async read(@Query() query: Record<string, unknown>): Promise<RateAggregate> {
    const subject = valueOrBadRequest(subjectFromQuery(query));
    try {
      return await this.rates.read(subject);
    } catch (error) {
      throw new ServiceUnavailableException(`aggregate not readable: Redis: ${(error as Error).message}`);
    }
  }
}
