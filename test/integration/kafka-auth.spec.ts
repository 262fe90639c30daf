import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rate/config';
import { createKafka } from '@rate/kafka';
import { JsonLogger } from '@rate/observability';
import { KAFKA_AUTH_TEST_PORT } from '../test-ports';
import { eventually, testStack } from './test-stack';

/**
 * The Kafka TLS + SASL/SCRAM options (what the chart's kafka.external.tls/sasl set) against a
 * real broker of the project's Kafka version with a SASL_SSL listener: a self-signed certificate
 * for 127.0.0.1 (keytool) and a SCRAM-SHA-512 user added when the storage is formatted.
 */
const PORT = KAFKA_AUTH_TEST_PORT;
const USER = 'rate';
const PASSWORD = `pw-${randomUUID()}`;

function java(home: string, mainClass: string, args: string[], heap: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    `-Dlog4j2.configurationFile=${join(home, 'config', 'log4j2.properties')}`,
    '-cp',
    `${join(home, 'libs')}/*`,
    mainClass,
    ...args,
  ];
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('Kafka over TLS with SASL/SCRAM (external cluster options)', () => {
  const stack = testStack();
  const home = join(stack.toolsDir, `kafka-${stack.kafkaVersion}`);
  const dir = mkdtempSync(join(tmpdir(), 'rate-kafka-auth-'));
  const caFile = join(dir, 'ca.pem');
  let broker: ChildProcess | undefined;
  const env = (extra: Record<string, string>) =>
    loadConfig('rate-api', { KAFKA_BROKERS: `127.0.0.1:${PORT}`, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'error', ...extra });
  const secure = {
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: PASSWORD,
  };
  const logger = new JsonLogger('error', { app: 'kafka-auth-test' });

  async function adminTopics(extra: Record<string, string>): Promise<string[]> {
    const admin = createKafka(env(extra), logger, 'kafka-auth-test').admin();
    try {
      await admin.connect();
      return await admin.listTopics();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    const keystore = join(dir, 'broker.p12');
    execFileSync(
      'keytool',
      [
        '-genkeypair',
        '-alias',
        'broker',
        '-keyalg',
        'RSA',
        '-keysize',
        '2048',
        '-validity',
        '2',
        '-dname',
        'CN=127.0.0.1',
        '-ext',
        'SAN=ip:127.0.0.1',
        '-storetype',
        'PKCS12',
        '-keystore',
        keystore,
        '-storepass',
        'changeit',
        '-keypass',
        'changeit',
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(
      caFile,
      execFileSync('keytool', ['-exportcert', '-rfc', '-alias', 'broker', '-keystore', keystore, '-storepass', 'changeit']),
    );
    const data = join(dir, 'data');
    mkdirSync(data);
    const properties = join(dir, 'server.properties');
    writeFileSync(
      properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${PORT + 1}`,
        `listeners=SASL_SSL://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${PORT + 1},INTERNAL://127.0.0.1:${PORT + 2}`,
        `advertised.listeners=SASL_SSL://127.0.0.1:${PORT},INTERNAL://127.0.0.1:${PORT + 2}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=INTERNAL',
        'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT',
        'sasl.enabled.mechanisms=SCRAM-SHA-512',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        `ssl.keystore.location=${keystore}`,
        'ssl.keystore.type=PKCS12',
        'ssl.keystore.password=changeit',
        'ssl.key.password=changeit',
        `log.dirs=${data}`,
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'auto.create.topics.enable=false',
        '',
      ].join('\n'),
    );
    execFileSync(
      'java',
      java(
        home,
        'kafka.tools.StorageTool',
        ['format', '-t', randomUUID(), '-c', properties, '--add-scram', `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`],
        '256m',
      ),
      { stdio: 'pipe' },
    );
    broker = spawn('java', java(home, 'kafka.Kafka', [properties], '384m'), { stdio: ['ignore', 'ignore', 'pipe'] });
    // The port first (quietly), then the client: kafkajs logs every refused connection.
    await eventually(
      'the broker listening',
      () => listening(PORT),
      (ok) => ok,
      300_000,
    );
    await eventually(
      'the SASL_SSL broker accepts the rate user',
      () =>
        adminTopics(secure).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      120_000,
    );
    // Generous: a JVM broker formats and starts in seconds on an idle machine, minutes on a busy one.
  }, 420_000);

  afterAll(async () => {
    if (broker?.pid) {
      broker.kill('SIGTERM');
      await new Promise((resolve) => broker!.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('produces and reads back through the apps own Kafka client with TLS and SCRAM-SHA-512', async () => {
    const kafka = createKafka(env(secure), logger, 'kafka-auth-test');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'auth-check', numPartitions: 1, replicationFactor: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'auth-check', acks: -1, messages: [{ value: 'over SASL_SSL' }] });
    await producer.disconnect();
    const offsets = await (async () => {
      const a = kafka.admin();
      await a.connect();
      try {
        return await a.fetchTopicOffsets('auth-check');
      } finally {
        await a.disconnect();
      }
    })();
    expect(offsets.map((o) => o.high)).toEqual(['1']);
  });

  it('is refused with a wrong password, without SASL, and without the CA', async () => {
    await expect(adminTopics({ ...secure, KAFKA_SASL_PASSWORD: 'wrong' })).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|Authentication failed/i,
    );
    await expect(adminTopics({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile })).rejects.toThrow();
    await expect(adminTopics({ ...secure, KAFKA_SSL_CA_FILE: '' })).rejects.toThrow(/self-signed|certificate/i);
  });
});
