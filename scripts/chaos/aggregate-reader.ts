import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET /rate?subject=S → its count, or null when the API did not answer 200. */
export function readCount(baseUrl: string, subject: string, timeoutMs = 3000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(new URL(`/rate?subject=${encodeURIComponent(subject)}`, baseUrl), { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(null);
        try {
          resolve((JSON.parse(body) as { count: number }).count);
        } catch {
          resolve(null);
        }
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Reads the count of every subject through the API (a few at a time, retrying a failed read). */
export async function readCounts(baseUrl: string, subjects: readonly string[], concurrency = 12): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < subjects.length) {
        const subject = subjects[next++];
        let count: number | null = null;
        for (let attempt = 0; count === null; attempt++) {
          if (attempt === 20) throw new Error(`GET /rate?subject=${subject} kept failing: cannot audit`);
          if (attempt > 0) await sleep(500);
          count = await readCount(baseUrl, subject);
        }
        counts.set(subject, count);
      }
    }),
  );
  return counts;
}
