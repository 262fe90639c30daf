import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrExit } from '@rate/config';
import { exitOnSignals, JsonLogger } from '@rate/observability';
import { AppModule } from './app.module';
import { registerHttpHooks } from './http/fastify-hooks';
import { HttpErrorFilter } from './http/http-errors';
import { MAX_BODY_BYTES, registerJsonBodyParser } from './http/json-body.parser';
import { registerRateLimit, trustProxyOption } from './http/rate-limit';
import { ApiMetrics } from './metrics/api.metrics';
import { RateProducer } from './kafka/rate.producer';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi.document';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('rate-api');
  const logger = new JsonLogger(config.logLevel, { app: 'rate-api', replica: config.replicaName });
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, keepAliveTimeout: 65_000, return503OnClosing: true, trustProxy: trustProxyOption(config) });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    bufferLogs: true,
    bodyParser: false,
    logger,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify);
  const producer = app.get(RateProducer);
  registerHttpHooks(fastify, config.replicaName, app.get(ApiMetrics), () => producer.stopping);
  app.useGlobalFilters(new HttpErrorFilter(logger));
  await registerRateLimit(app, config);
  serveOpenApi(fastify, buildOpenApiDocument(app, config));
  await app.listen(config.port, config.host);
  logger.write('info', 'rate-api listening', { port: config.port });

  exitOnSignals(app, logger, config.shutdownGraceMs, () => producer.beginShutdown());
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'start failed', error: error.message })}\n`);
  process.exit(1);
});
