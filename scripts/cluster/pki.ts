import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A client identity of the control plane: who the API server sees (CN = user, O = group). */
export interface ClientIdentity {
  name: string;
  commonName: string;
  organization?: string;
}

/** The real node's name (cluster:up --real): its kubelet's identity carries it. */
export const REAL_NODE_NAME = 'rate-node';

/**
 * The identities cluster:up issues. The controller-manager, scheduler, kube-proxy and the real
 * node's kubelet get their own users so RBAC's bootstrap roles and the Node authorizer apply to
 * them as in a real cluster; the admin (kubectl, helm, kwok, CoreDNS, the volume provisioner) and
 * the API server's client identity towards kubelets are in system:masters.
 */
export const CLIENTS: ClientIdentity[] = [
  { name: 'admin', commonName: 'rate-admin', organization: 'system:masters' },
  { name: 'kube-controller-manager', commonName: 'system:kube-controller-manager' },
  { name: 'kube-scheduler', commonName: 'system:kube-scheduler' },
  { name: 'kube-proxy', commonName: 'system:kube-proxy' },
  { name: 'kubelet', commonName: `system:node:${REAL_NODE_NAME}`, organization: 'system:nodes' },
  { name: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', organization: 'system:masters' },
];

/** Names the API server's certificate answers to (loopback and the in-cluster Service). */
export const APISERVER_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
export const APISERVER_IPS = ['127.0.0.1', '10.96.0.1'];

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  clientCert: (name: string) => string;
  clientKey: (name: string) => string;
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    clientCert: (name) => join(dir, `${name}.crt`),
    clientKey: (name) => join(dir, `${name}.key`),
  };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const DAYS = '3650';

function ecKey(path: string, cwd: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path], cwd);
}

function signed(pki: Pki, cert: string, key: string, subject: string, extensions: string[]): void {
  const csr = `${cert}.csr`;
  const ext = `${cert}.ext`;
  ecKey(key, pki.dir);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], pki.dir);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      pki.caCert,
      '-CAkey',
      pki.caKey,
      '-CAcreateserial',
      '-days',
      DAYS,
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    pki.dir,
  );
  rmSync(csr);
  rmSync(ext);
}

/** Creates whatever of the CA, serving cert, client certs and service-account key pair is missing. */
export function ensurePki(dir: string): Pki {
  const pki = pkiPaths(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(pki.caCert)) {
    ecKey(pki.caKey, dir);
    openssl(['req', '-x509', '-new', '-key', pki.caKey, '-subj', '/CN=rate-cluster-ca', '-days', DAYS, '-sha256', '-out', pki.caCert], dir);
  }
  if (!existsSync(pki.apiserverCert)) {
    const san = [...APISERVER_NAMES.map((n) => `DNS:${n}`), ...APISERVER_IPS.map((ip) => `IP:${ip}`)].join(',');
    signed(pki, pki.apiserverCert, pki.apiserverKey, '/CN=kube-apiserver', [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
    ]);
  }
  for (const client of CLIENTS) {
    if (existsSync(pki.clientCert(client.name))) continue;
    const subject = `${client.organization ? `/O=${client.organization}` : ''}/CN=${client.commonName}`;
    signed(pki, pki.clientCert(client.name), pki.clientKey(client.name), subject, [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
  }
  if (!existsSync(pki.serviceAccountPub)) {
    openssl(['genrsa', '-out', pki.serviceAccountKey, '2048'], dir);
    openssl(['rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub], dir);
  }
  return pki;
}

/** A kubeconfig for one client identity, certificates embedded so the file stands alone. */
export function renderKubeconfig(pki: Pki, client: string, server: string): string {
  const b64 = (path: string) => readFileSync(path).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: rate',
    '    cluster:',
    `      server: ${server}`,
    `      certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    `  - name: ${client}`,
    '    user:',
    `      client-certificate-data: ${b64(pki.clientCert(client))}`,
    `      client-key-data: ${b64(pki.clientKey(client))}`,
    'contexts:',
    '  - name: rate',
    '    context:',
    '      cluster: rate',
    `      user: ${client}`,
    'current-context: rate',
    '',
  ].join('\n');
}
