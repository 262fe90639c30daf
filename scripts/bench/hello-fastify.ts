import Fastify from 'fastify';

/**
 * The baseline of the API benchmark: bare Fastify answering the same route with the same status
 * and a body of the same shape, doing no work. Run under the same CPU quota as an API replica.
 */
const app = Fastify({ logger: false });
let n = 0;
// The experiment's stall analysis names the replica that answered, as the API's x-replica does.
const replicaName = process.env.REPLICA_NAME ?? 'hello';
app.post('/rate', async (_request, reply) => {
  n++;
  return reply
    .code(202)
    .header('x-replica', replicaName)
    .send({ id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, subject: 'default', rate: 5 });
});

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 18199) }).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
