import { describe, expect, it } from 'vitest';
import { devProviders } from '../../../functions/cli/commands/dev';

const FIXTURE = 'test/fixtures/my-providers.ts';

describe('jobx dev --providers', () => {
  it("runs the user's providers beside the examples", async () => {
    const { providers, names } = await devProviders([FIXTURE], true);
    expect(providers.map((p) => p.name)).toEqual(expect.arrayContaining(['demo', 'flaky', 'delay', 'echo', 'slow', 'refuse']));
    expect(names).toContain(`echo (${FIXTURE})`);
    // Each is a Lambda-style provider the local stack can wire to a queue.
    for (const p of providers) expect(typeof p.handler).toBe('function');
  });

  it('--no-examples runs only the user\'s', async () => {
    const { providers } = await devProviders([FIXTURE], false);
    expect(providers.map((p) => p.name).sort()).toEqual(['echo', 'refuse', 'slow']);
  });

  it('nothing to run is a usage error; a module without providers says so', async () => {
    await expect(devProviders([], false)).rejects.toMatchObject({ code: 'NO_PROVIDERS' });
    await expect(devProviders(['functions/core/topology.ts'], true)).rejects.toMatchObject({ code: 'NO_PROVIDERS' });
  });
});
