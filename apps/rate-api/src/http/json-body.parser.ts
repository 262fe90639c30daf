import { BadRequestException } from '@nestjs/common';
import { FastifyInstance } from 'fastify';

/** A parsed JSON body with its source text (the rate literal is validated on the text). */
export interface JsonBody {
  raw: string;
  value: unknown;
}

export const MAX_BODY_BYTES = 1024;

/**
 * Only application/json bodies are accepted (others: 415 from Fastify); over 1 KiB: 413.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, raw, done) => {
    const text = raw as string;
    if (text.trim() === '') {
      done(new BadRequestException('body is empty: send {"rate":N} or use POST /rate?rate=N'), undefined);
      return;
    }
    try {
      done(null, { raw: text, value: JSON.parse(text) } satisfies JsonBody);
    } catch {
      done(new BadRequestException('body is not valid JSON'), undefined);
    }
  });
}
