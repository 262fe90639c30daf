import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';
import { BASE_URL, testKafka, testStack, topicEnd } from './test-stack';

const SCHEMATHESIS = join(ROOT, '.tools', 'bin', 'schemathesis');
/** Per operation; the two /rate operations carry the bulk of the ≥ 2,000 requests. */
const MAX_EXAMPLES = 1000;
const MIN_REQUESTS = 2000;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number };
}

/** In cwd: schemathesis leaves its example database (.schemathesis/) in the working directory. */
function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Property-based fuzzing of the API's own OpenAPI document through nginx: valid and invalid
 * requests generated from it, every answer checked against it, never a 5xx, and Kafka received
 * exactly one record per 202 (nothing for the rejected ones).
 */
describe('schemathesis fuzz of /openapi.json', () => {
  it(
    `answers ≥ ${MIN_REQUESTS} generated requests as documented, without a 5xx, producing only the accepted ones`,
    async () => {
      const kafka = testKafka();
      const before = await topicEnd(kafka, 'rates');
      const dir = join(testStack().runDir, 'fuzz');
      mkdirSync(dir, { recursive: true });
      const har = join(dir, 'schemathesis.har');
      const started = Date.now();
      const result = await run(
        SCHEMATHESIS,
        [
          'run',
          `${BASE_URL}/openapi.json`,
          '--checks',
          CHECKS.join(','),
          '--phases',
          'examples,coverage,fuzzing',
          '--max-examples',
          String(MAX_EXAMPLES),
          '--seed',
          '20261129',
          '--workers',
          '2',
          '--no-shrink',
          '--request-timeout',
          '30',
          '--report',
          'har',
          '--report-har-path',
          har,
        ],
        dir,
      );
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(
        `[fuzz] schemathesis finished in ${seconds} s\n${result.output
          .split('\n')
          .filter((l) => /generated|passed|failed|Test cases|SUMMARY/.test(l))
          .join('\n')}\n`,
      );
      expect({ code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({ code: 0, output: '' });

      const entries = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: HarEntry[] } }).log.entries;
      const serverErrors = entries.filter((e) => e.response.status >= 500);
      const accepted = entries.filter(
        (e) => e.request.method === 'POST' && new URL(e.request.url).pathname === '/rate' && e.response.status === 202,
      ).length;
      const generated = Number(/(\d+) generated/.exec(result.output)?.[1] ?? 0);
      expect(entries.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(generated).toBe(entries.length);
      expect(serverErrors.map((e) => `${e.request.method} ${e.request.url} → ${e.response.status}`)).toEqual([]);
      expect(accepted).toBeGreaterThan(0);
      expect((await topicEnd(kafka, 'rates')) - before).toBe(accepted);
    },
    40 * 60_000,
  );
});
