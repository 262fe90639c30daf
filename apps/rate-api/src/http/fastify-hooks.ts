import { FastifyInstance } from 'fastify';
import { ApiMetrics } from '../metrics/api.metrics';

/**
 * x-replica on every response (404s and errors included), so load tests can show how evenly
 * the balancer spreads requests; request metrics by matched route, never by raw URL.
 */
export function registerHttpHooks(fastify: FastifyInstance, replicaName: string, metrics: ApiMetrics, closing: () => boolean): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-replica', replicaName);
    metrics.inFlight.inc();
    done();
  });
  // While shutting down, keep-alive clients are told to reconnect elsewhere; otherwise their
  // idle connections would hold the server open until the keep-alive timeout.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing()) reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.inFlight.dec();
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
