import { setTimeout as sleep } from 'node:timers/promises';

/** GET /rate?subject=S → its count and sum, retried a few times; null when the API never answered 200. */
export async function readSubject(baseUrl: string, subject: string, attempts = 10): Promise<{ count: number; sum: number } | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(500);
    try {
      const response = await fetch(`${baseUrl}/rate?subject=${encodeURIComponent(subject)}`, { signal: AbortSignal.timeout(5000) });
      if (response.status !== 200) continue;
      const body = (await response.json()) as { count: number; sum: number };
      return { count: body.count, sum: body.sum };
    } catch {
      // the next attempt
    }
  }
  return null;
}
