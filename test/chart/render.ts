import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../harness/stack';

export const CHART = join(ROOT, 'charts', 'rate');
export const TOOL = (name: string) => join(ROOT, '.tools', 'bin', name);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

export function run(command: string, args: string[], input?: string) {
  const result = spawnSync(command, args, { encoding: 'utf8', input, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** helm template with a values file (relative to charts/rate) and --set pairs. */
export function template(valuesFile?: string, ...sets: string[]) {
  const args: string[] = [];
  if (valuesFile) args.push('-f', join(CHART, valuesFile));
  for (const set of sets) args.push('--set', set);
  return templateWith(args);
}

/** helm template with any flags (-f with a path from the repository root, --set-json, ...). */
export function templateWith(flags: string[]) {
  return run(TOOL('helm'), ['template', 'rate', CHART, '--namespace', 'rate', ...flags]);
}

export function render(valuesFile?: string, ...sets: string[]): K8sObject[] {
  return parsed(template(valuesFile, ...sets));
}

export function renderWith(flags: string[]): K8sObject[] {
  return parsed(templateWith(flags));
}

function parsed(result: ReturnType<typeof run>): K8sObject[] {
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}
