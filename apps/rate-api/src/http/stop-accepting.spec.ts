import { Agent, createServer, request, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { stopAccepting } from './stop-accepting';

function get(port: number, agent: Agent): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('stopAccepting', () => {
  let server: Server;
  let closing = false;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeEach(async () => {
    closing = false;
    server = createServer((_req, res) => {
      if (closing) res.setHeader('connection', 'close');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    server.closeAllConnections();
    agent.destroy();
  });

  it('refuses new connections but serves the open keep-alive one, telling it to close', async () => {
    expect(await get(port, agent)).toEqual({ status: 200, connection: 'keep-alive' });
    const stopped = stopAccepting(server, 5000, () => (closing = true));
    expect(await connectRefused(port)).toBe(true);
    // The pooled connection is still open: the request written into it is answered, not reset.
    expect(await get(port, agent)).toEqual({ status: 200, connection: 'close' });
    await stopped;
    expect(closing).toBe(true);
  });

  it("returns once the linger is over even if an idle connection stays open (the app's close ends it)", async () => {
    expect((await get(port, agent)).status).toBe(200);
    await stopAccepting(server, 200, () => (closing = true));
    expect(await connectRefused(port)).toBe(true);
    expect(await new Promise((resolve) => server.getConnections((_e, count) => resolve(count)))).toBe(1);
  });
});
