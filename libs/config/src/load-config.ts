import { AppName, ENV_SCHEMA, ENV_VARIABLES, RateConfig, redisUrls, VariableSpec, variablesOf } from './env.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates every variable the app uses and reports all problems at once. */
export function loadConfig(app: AppName, env: NodeJS.ProcessEnv = process.env): RateConfig {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  const used = new Set(variablesOf(app));
  for (const name of ENV_VARIABLES) {
    const spec: VariableSpec = ENV_SCHEMA[name];
    if (!used.has(name)) {
      // Another process's variable: keep its default so the config object is always complete.
      config[spec.key] = spec.fallback ? spec.parse(spec.fallback()) : undefined;
      continue;
    }
    const given = env[name];
    const raw = given === undefined || given === '' ? spec.fallback?.() : given;
    if (raw === undefined) {
      problems.push(`${name} is missing (expected ${spec.expected})`);
      continue;
    }
    const value = spec.parse(raw);
    if (value === undefined) {
      problems.push(`${name}=${JSON.stringify(spec.redact ? spec.redact(raw) : raw)} is invalid (expected ${spec.expected})`);
      continue;
    }
    config[spec.key] = value;
  }
  if (problems.length === 0 && (config.rateMin as number) > (config.rateMax as number)) {
    problems.push(`RATE_MIN=${String(config.rateMin)} is above RATE_MAX=${String(config.rateMax)}`);
  }
  const replicationFactor = config.kafkaReplicationFactor as number;
  const minInsync = config.kafkaMinInsyncReplicas as number;
  if (problems.length === 0 && replicationFactor > 0 && minInsync > replicationFactor) {
    problems.push(
      `KAFKA_MIN_INSYNC_REPLICAS=${minInsync} is above KAFKA_REPLICATION_FACTOR=${replicationFactor} (no acks=all write could succeed)`,
    );
  }
  if (problems.length === 0)
    problems.push(...kafkaAuthProblems(config as unknown as RateConfig), ...redisModeProblems(config as unknown as RateConfig));
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as RateConfig;
}

/** SASL needs a user and a password; a client certificate needs its key (and the other way round). */
function kafkaAuthProblems(config: RateConfig): string[] {
  const problems: string[] = [];
  if (config.kafkaSaslMechanism !== null && (config.kafkaSaslUsername === '' || config.kafkaSaslPassword === '')) {
    problems.push(`KAFKA_SASL_MECHANISM=${config.kafkaSaslMechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  if ((config.kafkaSslCertFile === '') !== (config.kafkaSslKeyFile === '')) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS)');
  }
  const tlsFiles = config.kafkaSslCaFile !== '' || config.kafkaSslCertFile !== '';
  if (tlsFiles && !config.kafkaSsl) problems.push('KAFKA_SSL_CA_FILE/KAFKA_SSL_CERT_FILE need KAFKA_SSL=true');
  return problems;
}

/** Several seed nodes only make sense for a cluster; a Redis Cluster has only database 0. */
function redisModeProblems(config: RateConfig): string[] {
  const urls = redisUrls(config.redisUrl);
  if (config.redisMode === 'standalone' && urls.length > 1) {
    return [`REDIS_URL lists ${urls.length} nodes: a list of seed nodes needs REDIS_MODE=cluster`];
  }
  const databases = urls.map((url) => new URL(url).pathname.replace(/^\//, '')).filter((db) => db !== '' && db !== '0');
  if (config.redisMode === 'cluster' && databases.length > 0) {
    return [`REDIS_URL selects database ${databases[0]}: a Redis Cluster has only database 0`];
  }
  return [];
}

/** Entry points call this: one readable line on stderr and exit 1, never a stack trace. */
export function loadConfigOrExit(app: AppName): RateConfig {
  try {
    return loadConfig(app);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${app}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
