import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Kubernetes CPU quantity ("250m", "0.5", "1") to millicores. */
export function parseCpuQuantity(quantity: unknown): number {
  const text = String(quantity ?? '').trim();
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!match) throw new Error(`resources.limits.cpu=${JSON.stringify(quantity)} is not a CPU quantity like 250m or 0.5`);
  const millis = match[2] === 'm' ? Number(match[1]) : Number(match[1]) * 1000;
  if (!Number.isInteger(millis) || millis < 1) throw new Error(`resources.limits.cpu=${text} must be at least 1m`);
  return millis;
}

/** The API's per-replica CPU limit, read from the chart values the cluster deployment uses. */
export function apiCpuLimitMillis(valuesFile: string): number {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { resources?: { limits?: { cpu?: unknown } } } | null;
  const cpu = values?.resources?.limits?.cpu;
  if (cpu === undefined) throw new Error(`${valuesFile} sets no resources.limits.cpu`);
  return parseCpuQuantity(cpu);
}
