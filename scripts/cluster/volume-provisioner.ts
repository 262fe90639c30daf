import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient } from './kube-client';
import { pkiPaths } from './pki';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The cluster's default StorageClass and the loop that provisions its volumes, so a chart's
 * PersistentVolumeClaims bind as they would on kind (local-path) without any image: each pending
 * claim of the class gets a hostPath PersistentVolume pre-bound to it (claimRef), the real
 * PV controller in kube-controller-manager completes the binding, and a Released volume of
 * reclaim policy Delete is deleted. WaitForFirstConsumer, as on kind: a claim is provisioned once
 * the scheduler picked a node for its pod, and the volume is pinned to that node.
 */
export const PROVISIONER = 'rate.local/hostpath';
export const DEFAULT_STORAGE_CLASS = 'standard';
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

export function defaultStorageClass(): object {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

interface Metadata {
  name: string;
  namespace?: string;
  uid?: string;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface Claim {
  metadata: Metadata;
  spec: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string };
}

export interface StorageClass {
  metadata: Metadata;
  provisioner: string;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
}

export interface Volume {
  metadata: Metadata;
  spec: { persistentVolumeReclaimPolicy?: string; hostPath?: { path: string } };
  status?: { phase?: string };
}

/** The PersistentVolume a claim should get now, or null when it is not this provisioner's to serve (yet). */
export function volumeFor(claim: Claim, classes: StorageClass[], volumesDir: string): object | null {
  const cls = classes.find((c) => c.metadata.name === claim.spec.storageClassName && c.provisioner === PROVISIONER);
  if (!cls || claim.spec.volumeName || claim.metadata.deletionTimestamp || (claim.status?.phase ?? 'Pending') !== 'Pending') return null;
  const node = claim.metadata.annotations?.[SELECTED_NODE];
  if (cls.volumeBindingMode === 'WaitForFirstConsumer' && !node) return null;
  const storage = claim.spec.resources?.requests?.storage;
  if (!storage || !claim.metadata.uid || !claim.metadata.namespace) return null;
  const name = `pvc-${claim.metadata.uid}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER } },
    spec: {
      capacity: { storage },
      accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      storageClassName: cls.metadata.name,
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
      },
      hostPath: { path: join(volumesDir, name), type: 'DirectoryOrCreate' },
      ...(node
        ? {
            nodeAffinity: {
              required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] },
            },
          }
        : {}),
    },
  };
}

/** A volume this provisioner made whose claim is gone and whose class says delete it. */
export function isReclaimable(volume: Volume): boolean {
  return (
    volume.metadata.annotations?.[PROVISIONED_BY] === PROVISIONER &&
    volume.status?.phase === 'Released' &&
    volume.spec.persistentVolumeReclaimPolicy === 'Delete' &&
    !volume.metadata.deletionTimestamp
  );
}

async function reconcile(client: KubeClient, volumesDir: string, log: (line: string) => void): Promise<void> {
  const classes = (await client.get<{ items: StorageClass[] }>('/apis/storage.k8s.io/v1/storageclasses')).items;
  const claims = (await client.get<{ items: Claim[] }>('/api/v1/persistentvolumeclaims')).items;
  for (const claim of claims) {
    const volume = volumeFor(claim, classes, volumesDir) as { metadata: { name: string }; spec: { hostPath: { path: string } } } | null;
    if (!volume) continue;
    // Made here, writable by all as local-path-provisioner does: a hostPath volume gets no fsGroup
    // ownership, and the chart's pods run as non-root users (a kubelet would create it root's 0755).
    mkdirSync(volume.spec.hostPath.path, { recursive: true });
    chmodSync(volume.spec.hostPath.path, 0o777);
    const res = await client.request('POST', '/api/v1/persistentvolumes', volume);
    if (res.status === 201) log(`provisioned ${volume.metadata.name} for ${claim.metadata.namespace}/${claim.metadata.name}`);
    else if (res.status !== 409)
      log(`could not provision ${claim.metadata.namespace}/${claim.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const volumes = (await client.get<{ items: Volume[] }>('/api/v1/persistentvolumes')).items;
  for (const volume of volumes.filter(isReclaimable)) {
    const res = await client.request('DELETE', `/api/v1/persistentvolumes/${volume.metadata.name}`);
    if (res.status === 200 || res.status === 404) {
      if (volume.spec.hostPath?.path.startsWith(volumesDir)) rmSync(volume.spec.hostPath.path, { recursive: true, force: true });
      log(`deleted released ${volume.metadata.name}`);
    }
  }
}

/** Entry point: node volume-provisioner.js <apiserver URL> <pki dir> <volumes dir> */
async function main(): Promise<void> {
  const [server, pkiDir, volumesDir] = process.argv.slice(2);
  if (!server || !pkiDir || !volumesDir) throw new Error('usage: volume-provisioner <apiserver URL> <pki dir> <volumes dir>');
  mkdirSync(volumesDir, { recursive: true });
  const client = new KubeClient(server, pkiPaths(pkiDir), 'admin');
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => (stopping = true));
  log(`provisioning ${PROVISIONER} volumes under ${volumesDir}`);
  let lastError = '';
  while (!stopping) {
    try {
      await reconcile(client, volumesDir, log);
      lastError = '';
    } catch (error) {
      // The API server restarting is no reason to exit; say so once per distinct error.
      const message = (error as Error).message;
      if (message !== lastError) log(`reconcile failed (retrying): ${message}`);
      lastError = message;
    }
    await sleep(500);
  }
  log('stopped');
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`volume-provisioner: ${error.message}`);
    process.exit(1);
  });
}
