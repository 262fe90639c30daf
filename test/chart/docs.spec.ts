import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART } from './render';

/** Every path of the values tree (inner nodes and leaves). */
function paths(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  const inner = Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => paths(value, prefix ? `${prefix}.${key}` : key));
  return prefix ? [prefix, ...inner] : inner;
}

/** Key paths of the leaves (keys may hold dots, e.g. label names). */
function leafKeys(node: unknown, prefix: string[] = []): string[][] {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length === 0) return [prefix];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => leafKeys(value, [...prefix, key]));
}

const leaves = (node: unknown) => leafKeys(node).map((keys) => keys.join('.'));

/** `{a,b}.x` → a.x, b.x */
function expand(path: string): string[] {
  const match = /\{([^}]+)\}/.exec(path);
  if (!match) return [path];
  return match[1].split(',').flatMap((alt) => expand(path.replace(match[0], alt.trim())));
}

/** The parameter paths of the README table; `.x` after `a.b` means a.x. */
function documented(): string[] {
  const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Parameters'));
  const found: string[] = [];
  for (const row of table.split('\n').filter((l) => l.startsWith('| `'))) {
    let previous: string[] = [];
    for (const [, item] of row.split('|')[1].matchAll(/`([^`]+)`/g)) {
      const full = item.startsWith('.') ? previous.map((p) => p.slice(0, p.lastIndexOf('.')) + item) : expand(item);
      found.push(...full);
      previous = full;
    }
  }
  return found;
}

describe('chart README', () => {
  const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));

  it('documents every value in the parameter table', () => {
    const docs = documented();
    const missing = leaves(values).filter((leaf) => !docs.some((d) => leaf === d || leaf.startsWith(`${d}.`)));
    expect(missing).toEqual([]);
  });

  it('documents no value that does not exist', () => {
    const known = new Set(paths(values));
    expect(documented().filter((d) => !known.has(d))).toEqual([]);
  });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));

  it('closes every object it lists properties of (unknown keys are typos, rejected)', () => {
    const open: string[] = [];
    const visit = (node: any, where: string) => {
      if (node === null || typeof node !== 'object') return;
      if (node.properties && node.additionalProperties !== false) open.push(where);
      for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`);
    };
    visit(schema, '#');
    expect(open).toEqual([]);
  });

  it('describes every value of values.yaml', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const resolve = (node: any): any => (node?.$ref ? resolve(schema.definitions[node.$ref.replace('#/definitions/', '')]) : node);
    const missing = leafKeys(values).filter((keys) => {
      let node = schema;
      for (const key of keys) {
        node = resolve(node);
        const next = node?.properties?.[key] ?? (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
        if (!next) return !(node?.type === 'object' && !node.properties);
        node = next;
      }
      return false;
    });
    expect(missing.map((keys) => keys.join('.'))).toEqual([]);
  });
});
