import { ProducerLifecycleHealth } from '@rate/kafka';
import { FAILURE_HOLD_MS, producerLiveness, producerReadiness, producerTrouble, RECENT_FAILURE_MS } from './producer-health';

const healthy: ProducerLifecycleHealth = {
  connected: true,
  connectedOnce: true,
  failingSince: null,
  lastFailureAt: null,
  lastFailure: null,
};
const STALL_MS = 60_000;

describe('producerReadiness', () => {
  it('is not ready before its first producer connected, naming the last failure', () => {
    expect(producerReadiness({ ...healthy, connected: false, connectedOnce: false, lastFailure: 'Connection error: ECONNREFUSED' })).toBe(
      'producer not connected to Kafka yet (Connection error: ECONNREFUSED)',
    );
  });

  it('stays ready once connected, through failed sends and reconnects: Kafka trouble hits every replica alike, and out of rotation they would refuse connections instead of answering 503', () => {
    expect(producerReadiness(healthy)).toBeNull();
    expect(
      producerReadiness({ ...healthy, connected: false, failingSince: 1000, lastFailureAt: 1000, lastFailure: 'NOT_ENOUGH_REPLICAS' }),
    ).toBeNull();
  });
});

describe('producerTrouble', () => {
  it('is none when connected and nothing failed lately', () => {
    expect(producerTrouble(healthy, 1_000_000)).toBeNull();
    expect(producerTrouble({ ...healthy, failingSince: 0, lastFailureAt: 0, lastFailure: 'x' }, FAILURE_HOLD_MS + 1)).toBeNull();
  });

  it('names a missing producer, and a failed produce request for a while after it', () => {
    expect(producerTrouble({ ...healthy, connected: false, lastFailure: 'Connection error: ECONNREFUSED' }, 0)).toBe(
      'producer not connected to Kafka (Connection error: ECONNREFUSED)',
    );
    const failed = { ...healthy, failingSince: 1000, lastFailureAt: 1000, lastFailure: 'Kafka produce failed: timeout' };
    expect(producerTrouble(failed, 1000 + FAILURE_HOLD_MS - 1)).toBe(
      'the last produce request to Kafka failed (Kafka produce failed: timeout)',
    );
  });
});

describe('producerLiveness', () => {
  it('is alive while sends succeed, and during the first stall period of failures', () => {
    expect(producerLiveness(healthy, 10 * STALL_MS, STALL_MS)).toBeNull();
    expect(
      producerLiveness({ ...healthy, failingSince: 0, lastFailureAt: STALL_MS - 1, lastFailure: 'x' }, STALL_MS - 1, STALL_MS),
    ).toBeNull();
  });

  it('reports a producer whose sends have failed for the whole stall period and still fail', () => {
    const wedged = {
      connected: true,
      connectedOnce: true,
      failingSince: 0,
      lastFailureAt: 74_000,
      lastFailure: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    };
    expect(producerLiveness(wedged, 75_000, STALL_MS)).toBe('no produce request succeeded for 75 s (last: OUT_OF_ORDER_SEQUENCE_NUMBER)');
  });

  it('does not restart on old news: no failure lately means no traffic, not a wedge', () => {
    const quiet = { connected: true, connectedOnce: true, failingSince: 0, lastFailureAt: 10_000, lastFailure: 'timeout' };
    expect(producerLiveness(quiet, 10_000 + RECENT_FAILURE_MS + 1, STALL_MS)).toBeNull();
  });
});
