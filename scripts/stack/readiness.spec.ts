import { waitFor } from './readiness';

describe('waitFor', () => {
  it('looks once more after the deadline when the event loop was blocked past it (a synchronous step elsewhere)', async () => {
    let calls = 0;
    const check = async () => {
      calls++;
      if (calls === 1) {
        // What Kafka's synchronous storage format did to the Redis readiness wait on a busy machine.
        const until = Date.now() + 150;
        while (Date.now() < until);
        return false;
      }
      return true;
    };
    await expect(waitFor('service', check, 100, () => true)).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('still gives up on a service that never gets ready', async () => {
    await expect(
      waitFor(
        'service',
        async () => false,
        300,
        () => true,
      ),
    ).rejects.toThrow('service not ready after 0 s');
  });

  it('stops at once when the process died', async () => {
    await expect(
      waitFor(
        'service',
        async () => false,
        10_000,
        () => false,
      ),
    ).rejects.toThrow('service exited while starting');
  });
});
