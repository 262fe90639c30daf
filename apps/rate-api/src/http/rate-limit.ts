import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RateConfig } from '@rate/config';

/**
 * Per-client request limit on /rate (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_S, off at 0): 429 with
 * Retry-After and the usual error body (HttpErrorFilter). The client is request.ip: behind a
 * proxy listed in TRUST_PROXY, the address that proxy wrote into X-Forwarded-For; otherwise the
 * peer address, so a client cannot pick its own key by sending the header. Counters are per
 * replica (in memory): N replicas behind a round-robin balancer admit up to N × RATE_LIMIT_MAX.
 * Probes and scrapes (/health, /metrics) are never limited.
 */
export async function registerRateLimit(app: NestFastifyApplication, config: RateConfig): Promise<void> {
  if (config.rateLimitMax === 0) return;
  await app.register(rateLimit, {
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowS * 1000,
    allowList: (request) => request.routeOptions.url !== '/rate',
  });
}

/** fastify's trustProxy from TRUST_PROXY: a list of addresses, or false. */
export function trustProxyOption(config: RateConfig): string | false {
  return config.trustProxy === '' ? false : config.trustProxy;
}
