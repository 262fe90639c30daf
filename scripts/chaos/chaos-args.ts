import { parseFlags } from '../cli-args';
import { Profile, PROFILES } from './profiles';

export const USAGE = `usage: npm run chaos -- [--quick] [--only slug,slug]   (slugs: see the report's fault list)`;

export interface ChaosArgs {
  profile: Profile;
  only: string[] | null;
}

export function parseChaosArgs(argv: string[]): ChaosArgs {
  const { values, positionals } = parseFlags(argv, { quick: { type: 'boolean' }, only: { type: 'string' } }, USAGE);
  if (positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n${USAGE}`);
  const args: ChaosArgs = { profile: values.quick ? PROFILES.quick : PROFILES.full, only: null };
  if (values.only !== undefined) {
    const raw = String(values.only);
    if (!/^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(raw))
      throw new Error(`--only takes a comma-separated list of fault slugs, got ${JSON.stringify(raw)}`);
    args.only = raw.split(',');
  }
  return args;
}
