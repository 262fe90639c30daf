import { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Long enough for a balancer's pooled keep-alive connections to be used once more and dropped. */
export const CLOSE_LINGER_MS = 1000;

/**
 * The gentle end of a drain. Stops accepting connections but keeps the established ones for up to
 * lingerMs: a keep-alive client (nginx's upstream pool) finishes its requests here, each answered
 * with Connection: close (`stopped` turns that on), and its next connect is refused — refused
 * before anything was sent, which a balancer may retry on another replica even for a POST.
 * Node's http close() would instead close idle keep-alive connections at once, racing a request
 * the balancer is writing into one of them: sent, never answered, and not safely retryable.
 */
export async function stopAccepting(server: Server, lingerMs: number, stopped: () => void): Promise<void> {
  // net.Server's close, not http.Server's: it stops listening without touching the connections.
  // Connection: close only from now on: earlier, it would make the balancer open new connections
  // that could sit unaccepted in the backlog when the listener closes (reset after being sent).
  NetServer.prototype.close.call(server);
  stopped();
  const deadline = Date.now() + lingerMs;
  while (Date.now() < deadline && (await openConnections(server)) > 0) {
    await sleep(50);
  }
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}
