import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET url → status code, or null when nothing answers within the timeout. */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Authenticates and PINGs over a raw socket: true when Redis accepts the password and answers. */
export function redisAnswers(port: number, password: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    // RESP array form: the password is sent as one bulk string, whatever characters it holds.
    const command = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    socket.on('connect', () => socket.write(command('AUTH', password) + command('PING')));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const lines = reply.split('\r\n');
      if (lines.length > 2) done(lines[0] === '+OK' && lines[1] === '+PONG');
    });
    socket.on('error', () => done(false));
  });
}

export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Give up only after a check that started past the deadline: a synchronous step elsewhere
  // (Kafka's storage format) can hold the event loop so long that a check in progress times out
  // although the service has been ready for a while.
  for (;;) {
    const expired = Date.now() >= deadline;
    if (await check()) return;
    if (!isAlive()) throw new Error(`${what} exited while starting`);
    if (expired) throw new Error(`${what} not ready after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(200);
  }
}
