import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  rps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  /** wrk's own output, kept as the raw result. */
  output: string;
}

/** Closed-loop maximum throughput: wrk with enough connections to keep the target saturated. */
export async function wrkPost(
  wrk: string,
  scratchDir: string,
  url: string,
  seconds: number,
  connections: number,
  threads = 1,
): Promise<WrkResult> {
  const script = join(scratchDir, 'post.lua');
  writeFileSync(script, 'wrk.method = "POST"\n');
  const { stdout } = await run(wrk, [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
    timeout: (seconds + 30) * 1000,
  });
  const num = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
  const ms = (pattern: RegExp) => {
    const m = pattern.exec(stdout);
    if (!m) return NaN;
    const value = Number(m[1]);
    return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
  };
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    meanMs: ms(/Latency\s+([\d.]+)(us|ms|s)/),
    p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
    output: stdout,
  };
}
