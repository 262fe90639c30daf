import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrExit } from '@rate/config';
import { runMain } from '@rate/core';
import { exitOnSignals, JsonLogger } from '@rate/observability';
import { AppModule } from './app.module';
import { registerHttpHooks } from './http/fastify-hooks';
import { HttpErrorFilter } from './http/http-errors';
import { MAX_BODY_BYTES, registerJsonBodyParser } from './http/json-body.parser';
import { registerRateLimit, trustProxyOption } from './http/rate-limit';
import { ApiMetrics } from './metrics/api.metrics';
import { RateProducer } from './kafka/rate.producer';
import { CLOSE_LINGER_MS, stopAccepting } from './http/stop-accepting';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi.document';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('rate-api');
  const logger = new JsonLogger(config.logLevel, { app: 'rate-api', replica: config.replicaName });
  // return503OnClosing off: a request that reaches a closing replica on an established connection
  // is still served (stopAccepting lets those connections finish), not turned away with a 503.
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    keepAliveTimeout: 65_000,
    return503OnClosing: false,
    trustProxy: trustProxyOption(config),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    bufferLogs: true,
    bodyParser: false,
    logger,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify);
  const producer = app.get(RateProducer);
  let closing = false;
  registerHttpHooks(fastify, config.replicaHeader ? config.replicaName : null, app.get(ApiMetrics), () => closing);
  app.useGlobalFilters(new HttpErrorFilter(logger));
  await registerRateLimit(app, config);
  serveOpenApi(fastify, buildOpenApiDocument(app, config));
  await app.listen(config.port, config.host);
  logger.write('info', 'rate-api listening', { port: config.port });

  // Draining: readiness red, requests still served (keep-alive kept, so a balancer that has not
  // noticed yet does not churn connections); then stop accepting and let connections finish.
  exitOnSignals(app, logger, config.shutdownGraceMs, {
    beforeDrain: () => producer.beginShutdown(),
    drainMs: config.shutdownDrainMs,
    beforeClose: () =>
      stopAccepting(fastify.server, CLOSE_LINGER_MS, () => {
        closing = true;
      }),
  });
}

runMain(bootstrap);
