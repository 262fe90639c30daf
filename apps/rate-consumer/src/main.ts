import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka } from 'kafkajs';
import { loadConfigOrExit } from '@rate/config';
import { runMain } from '@rate/core';
import { exitOnSignals, JsonLogger } from '@rate/observability';
import { ConsumerModule } from './consumer.module';
import { ConsumerState } from './kafka/consumer-state';
import { KafkaBatchStrategy } from './kafka/kafka-batch.strategy';
import { KAFKA_CLIENT } from './rate-consumer.constants';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('rate-consumer');
  const logger = new JsonLogger(config.logLevel, { app: 'rate-consumer', replica: config.replicaName });
  // A hybrid app (connectMicroservice, not createMicroservice): the Kafka transport and an HTTP
  // server for health and metrics share one module, one set of clients and one shutdown.
  const app = await NestFactory.create<NestFastifyApplication>(ConsumerModule.forRoot(config, logger), new FastifyAdapter(), {
    bufferLogs: true,
    logger,
  });
  app.connectMicroservice(
    {
      strategy: new KafkaBatchStrategy({
        kafka: app.get<Kafka>(KAFKA_CLIENT),
        groupId: config.kafkaGroupId,
        topic: config.kafkaTopic,
        state: app.get(ConsumerState),
        logger,
      }),
    },
    { inheritAppConfig: true },
  );
  // Module init (topics created, Redis connected) before the transport subscribes.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.healthPort, config.host);
  logger.write('info', 'rate-consumer running', { healthPort: config.healthPort, group: config.kafkaGroupId });

  exitOnSignals(app, logger, config.shutdownGraceMs);
}

runMain(bootstrap);
