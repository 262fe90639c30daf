import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import type { RateConfig } from '@rate/config';

export const OPENAPI_PATH = '/openapi.json';
/** The version of the HTTP contract (DESIGN.md's table), not of the package. */
export const API_VERSION = '1.0';

type Schema = Record<string, unknown>;

/**
 * The OpenAPI 3 document, generated from the controllers' decorators. Two facts live outside
 * them and are added here: the configured rate bounds, and the x-replica header that the
 * onRequest hook puts on every response when REPLICA_HEADER is on.
 */
export function buildOpenApiDocument(app: INestApplication, config: RateConfig): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('rate API')
      .setDescription('Ratings are produced to Kafka (202 only after acks=all) and aggregated into Redis by the consumer.')
      .setVersion(API_VERSION)
      .build(),
  );
  const bounds = { minimum: config.rateMin, maximum: config.rateMax };
  const rateInput = document.components?.schemas?.RateInputDto as { properties: Record<string, Schema> } | undefined;
  if (rateInput) Object.assign(rateInput.properties.rate, bounds);
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations) as {
      parameters?: { name: string; schema?: Schema }[];
      responses?: Record<string, { headers?: Schema }>;
    }[]) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.name === 'rate' && parameter.schema) Object.assign(parameter.schema, bounds);
      }
      for (const response of config.replicaHeader ? Object.values(operation.responses ?? {}) : []) {
        response.headers = {
          ...response.headers,
          'x-replica': { required: true, description: 'the replica that answered', schema: { type: 'string', minLength: 1 } },
        };
      }
    }
  }
  return document;
}

/** GET /openapi.json, on the API's own port (not routed publicly, like /metrics and /health). */
export function serveOpenApi(fastify: FastifyInstance, document: OpenAPIObject): void {
  const body = JSON.stringify(document);
  fastify.get(OPENAPI_PATH, (_request, reply) => {
    void reply.type('application/json; charset=utf-8').send(body);
  });
}
