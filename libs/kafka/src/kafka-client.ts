import { Kafka, Partitioners, Producer } from 'kafkajs';
import { RateConfig } from '@rate/config';
import { JsonLogger, kafkaLogLevel } from '@rate/observability';
import { applyRequestQueueIdleFix } from './request-queue-idle-fix';

/** Short timeouts: a broker outage must surface as a 503 in seconds, not after kafkajs' 30 s defaults. */
export function createKafka(config: RateConfig, logger: JsonLogger, clientId: string): Kafka {
  applyRequestQueueIdleFix();
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
    logLevel: kafkaLogLevel(config.logLevel),
    logCreator: logger.kafkaLogCreator(),
  });
}

/**
 * Idempotent, acks=all producer with kafkajs' default (murmur2, Java-compatible) partitioner, so
 * a subject's key lands on the same partition whichever client wrote it. kafkajs warns that bounded
 * retries may invalidate the idempotence guarantee: they do for a producer that keeps sending after
 * a failed request (its sequence numbers were rolled back), so give it to a ProducerLifecycle,
 * which retires a producer at its first failed send.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
