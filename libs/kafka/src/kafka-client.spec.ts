import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@rate/config';
import { kafkaSecurity } from './kafka-client';

const REQUIRED = { KAFKA_BROKERS: 'b-1.example.com:9096', REDIS_URL: 'redis://127.0.0.1:16379' };

function pemFiles(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rate-kafka-tls-'));
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  for (const [name, path] of Object.entries(files)) writeFileSync(path, `-----BEGIN ${name}-----\n`);
  return files;
}

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig('rate-consumer', { ...REQUIRED, ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('kafkaSecurity', () => {
  it('adds nothing for a plaintext broker (the default)', () => {
    expect(kafkaSecurity(loadConfig('rate-api', REQUIRED))).toEqual({});
  });

  it('turns on TLS with the system CAs', () => {
    expect(kafkaSecurity(loadConfig('rate-api', { ...REQUIRED, KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
  });

  it('reads the CA, and the client certificate and key for mutual TLS', () => {
    const files = pemFiles();
    const config = loadConfig('rate-api', {
      ...REQUIRED,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: files.ca,
      KAFKA_SSL_CERT_FILE: files.cert,
      KAFKA_SSL_KEY_FILE: files.key,
    });
    expect(kafkaSecurity(config)).toEqual({
      ssl: { ca: ['-----BEGIN ca-----\n'], cert: '-----BEGIN cert-----\n', key: '-----BEGIN key-----\n' },
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('passes SASL %s credentials to kafkajs', (mechanism) => {
    const config = loadConfig('rate-consumer', {
      ...REQUIRED,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: 'rate',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(kafkaSecurity(config)).toEqual({ ssl: true, sasl: { mechanism, username: 'rate', password: 's3cret' } });
  });
});

describe('Kafka auth variables', () => {
  it('rejects an unknown mechanism and an unreadable CA file, naming the variable', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SSL: 'yes', KAFKA_SSL_CA_FILE: '/nonexistent/ca.crt' })).toEqual([
      'KAFKA_SSL="yes" is invalid (expected true or false (TLS to the brokers))',
      'KAFKA_SSL_CA_FILE="/nonexistent/ca.crt" is invalid (expected path of a readable PEM file with the CA certificates of the brokers, or empty for the system CAs)',
      'KAFKA_SASL_MECHANISM="gssapi" is invalid (expected plain, scram-sha-256, scram-sha-512, or empty for no SASL)',
    ]);
  });

  it('needs a user and a password for SASL, and never prints the password', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'rate' })).toEqual([
      'KAFKA_SASL_MECHANISM=scram-sha-512 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]);
    const tooLong = 'p'.repeat(1025);
    const found = problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'rate', KAFKA_SASL_PASSWORD: tooLong });
    expect(found).toEqual(['KAFKA_SASL_PASSWORD="***" is invalid (expected SASL password (up to 1024 characters))']);
  });

  it('needs the client certificate and key together, and TLS for either', () => {
    const files = pemFiles();
    expect(problems({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: files.cert })).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS)',
    ]);
    expect(problems({ KAFKA_SSL_CA_FILE: files.ca })).toEqual(['KAFKA_SSL_CA_FILE/KAFKA_SSL_CERT_FILE need KAFKA_SSL=true']);
  });
});
