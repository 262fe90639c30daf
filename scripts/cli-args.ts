import { parseArgs, ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs with this project's messages: an unknown option, or a switch given a value, is
 * "unknown option X" followed by the usage; a missing value is the empty string, so the caller's
 * own check names the option and what it takes.
 */
export function parseFlags(
  argv: string[],
  options: Options,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const filled = argv.flatMap((arg, i) => {
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    const next = argv[i + 1];
    // A string option last, or followed by another option: its value is missing.
    return name && options[name]?.type === 'string' && (next === undefined || next.startsWith('--')) ? [arg, ''] : [arg];
  });
  try {
    const { values, positionals } = parseArgs({ args: filled, options, strict: true, allowPositionals: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    const offending = filled.find((arg) => {
      const name = /^--([^=]+)/.exec(arg)?.[1];
      return arg.startsWith('--') && (!name || !options[name] || (options[name].type === 'boolean' && arg.includes('=')));
    });
    throw new Error(`unknown option ${offending ?? (error as Error).message}\n${usage}`, { cause: error });
  }
}
