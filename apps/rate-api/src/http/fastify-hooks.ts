import { FastifyInstance } from 'fastify';
import { ApiMetrics } from '../metrics/api.metrics';

/**
 * x-replica on every response (404s and errors included) when `replica` is given, so load tests
 * can show how evenly the balancer spreads requests; request metrics by matched route, never by
 * raw URL.
 */
export function registerHttpHooks(fastify: FastifyInstance, replica: string | null, metrics: ApiMetrics, closing: () => boolean): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (replica !== null) reply.header('x-replica', replica);
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
