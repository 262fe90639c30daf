import { Profile, PROFILES } from './profiles';

export const USAGE = `usage: npm run chaos -- [--quick] [--only slug,slug]   (slugs: see the report's fault list)`;

export interface ChaosArgs {
  profile: Profile;
  only: string[] | null;
}

export function parseChaosArgs(argv: string[]): ChaosArgs {
  const args: ChaosArgs = { profile: PROFILES.full, only: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag === '--quick' && inline === undefined) args.profile = PROFILES.quick;
    else if (flag === '--only') {
      const raw = inline ?? argv[++i] ?? '';
      if (!/^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(raw))
        throw new Error(`--only takes a comma-separated list of fault slugs, got ${JSON.stringify(raw)}`);
      args.only = raw.split(',');
    } else throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
  }
  return args;
}
