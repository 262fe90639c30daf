import { Claim, DEFAULT_STORAGE_CLASS, isReclaimable, PROVISIONER, StorageClass, Volume, volumeFor } from './volume-provisioner';

const standard: StorageClass = {
  metadata: { name: DEFAULT_STORAGE_CLASS },
  provisioner: PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};
const other: StorageClass = { metadata: { name: 'fast' }, provisioner: 'example.com/other' };

function claim(overrides: Partial<Claim['metadata']> = {}, spec: Partial<Claim['spec']> = {}, phase = 'Pending'): Claim {
  return {
    metadata: {
      name: 'data-rate-kafka-0',
      namespace: 'apps',
      uid: '1234',
      annotations: { 'volume.kubernetes.io/selected-node': 'kwok-node-2' },
      ...overrides,
    },
    spec: { storageClassName: DEFAULT_STORAGE_CLASS, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, ...spec },
    status: { phase },
  };
}

describe('volumeFor', () => {
  it('pre-binds a hostPath volume of the requested size to the claim, pinned to the selected node', () => {
    expect(volumeFor(claim(), [standard], '/run/volumes')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-1234', annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
      spec: {
        capacity: { storage: '2Gi' },
        accessModes: ['ReadWriteOnce'],
        volumeMode: 'Filesystem',
        storageClassName: 'standard',
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'apps', name: 'data-rate-kafka-0', uid: '1234' },
        hostPath: { path: '/run/volumes/pvc-1234', type: 'DirectoryOrCreate' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kwok-node-2'] }] }],
          },
        },
      },
    });
  });

  it('waits for the scheduler to pick a node when the class binds on first consumer', () => {
    expect(volumeFor(claim({ annotations: {} }), [standard], '/v')).toBeNull();
    const immediate = { ...standard, volumeBindingMode: 'Immediate' };
    expect(volumeFor(claim({ annotations: {} }), [immediate], '/v')).toMatchObject({ spec: { capacity: { storage: '2Gi' } } });
  });

  it('leaves bound, deleted, foreign-class and class-less claims alone', () => {
    expect(volumeFor(claim({}, {}, 'Bound'), [standard], '/v')).toBeNull();
    expect(volumeFor(claim({}, { volumeName: 'pv-1' }), [standard], '/v')).toBeNull();
    expect(volumeFor(claim({ deletionTimestamp: '2026-01-01T00:00:00Z' }), [standard], '/v')).toBeNull();
    expect(volumeFor(claim({}, { storageClassName: 'fast' }), [standard, other], '/v')).toBeNull();
    expect(volumeFor(claim({}, { storageClassName: undefined }), [standard], '/v')).toBeNull();
  });
});

describe('isReclaimable', () => {
  const volume = (phase: string, policy = 'Delete', by = PROVISIONER): Volume => ({
    metadata: { name: 'pvc-1', annotations: { 'pv.kubernetes.io/provisioned-by': by } },
    spec: { persistentVolumeReclaimPolicy: policy },
    status: { phase },
  });

  it('deletes only released volumes of its own with reclaim policy Delete', () => {
    expect(isReclaimable(volume('Released'))).toBe(true);
    expect(isReclaimable(volume('Bound'))).toBe(false);
    expect(isReclaimable(volume('Released', 'Retain'))).toBe(false);
    expect(isReclaimable(volume('Released', 'Delete', 'example.com/other'))).toBe(false);
  });
});
