import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { Pki } from './pki';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** A minimal client of the API server over TLS with a client certificate (no kubeconfig parsing). */
export class KubeClient {
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;

  constructor(
    private readonly server: string,
    pki: Pki,
    client: string,
  ) {
    this.ca = readFileSync(pki.caCert);
    this.cert = readFileSync(pki.clientCert(client));
    this.key = readFileSync(pki.clientKey(client));
  }

  request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.server}${path}`,
        {
          method,
          ca: this.ca,
          cert: this.cert,
          key: this.key,
          timeout: timeoutMs,
          agent: false,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // plain-text answers (/readyz) stay text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.request<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** GET an https health endpoint that needs no credentials (/healthz of the controller-manager, scheduler). */
export function httpsStatus(url: string, timeoutMs = 1000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
