import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, KafkaConfig, Producer } from 'kafkajs';
import { RateConfig } from '@rate/config';
import { JsonLogger, kafkaLogLevel } from '@rate/observability';
import { PartitionAudit } from './partition-audit';
import { applyRequestQueueIdleFix } from './request-queue-idle-fix';

type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/**
 * TLS and SASL for an external cluster (KAFKA_SSL*, KAFKA_SASL_*); nothing for the plaintext
 * in-cluster or local broker. The PEM files are read once, at start.
 */
export function kafkaSecurity(
  config: RateConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (config.kafkaSsl) {
    const tls: ConnectionOptions = {};
    if (config.kafkaSslCaFile !== '') tls.ca = [readFile(config.kafkaSslCaFile)];
    if (config.kafkaSslCertFile !== '') tls.cert = readFile(config.kafkaSslCertFile);
    if (config.kafkaSslKeyFile !== '') tls.key = readFile(config.kafkaSslKeyFile);
    security.ssl = Object.keys(tls).length > 0 ? tls : true;
  }
  if (config.kafkaSaslMechanism !== null) {
    const credentials = { username: config.kafkaSaslUsername, password: config.kafkaSaslPassword };
    // Spelled out per mechanism: kafkajs' SASLOptions is a union discriminated by the literal.
    switch (config.kafkaSaslMechanism) {
      case 'plain':
        security.sasl = { mechanism: 'plain', ...credentials };
        break;
      case 'scram-sha-256':
        security.sasl = { mechanism: 'scram-sha-256', ...credentials };
        break;
      case 'scram-sha-512':
        security.sasl = { mechanism: 'scram-sha-512', ...credentials };
        break;
    }
  }
  return security;
}

/** Short timeouts: a broker outage must surface as a 503 in seconds, not after kafkajs' 30 s defaults. */
export function createKafka(config: RateConfig, logger: JsonLogger, clientId: string): Kafka {
  applyRequestQueueIdleFix();
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    ...kafkaSecurity(config),
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
 * which retires a producer at its first failed send. Its sends are audited (PartitionAudit): one
 * that kafkajs resolved without producing every partition fails.
 */
export function createProducer(kafka: Kafka): Producer {
  const audit = new PartitionAudit();
  return audit.guard(
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: audit.createPartitioner,
    }),
  );
}
