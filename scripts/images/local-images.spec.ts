import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readVersions, ROOT } from '../stack/stack-config';

const versions = readVersions();
const localValues = parse(readFileSync(join(ROOT, 'k8s', 'local-images-values.yaml'), 'utf8'));
const chartValues = parse(readFileSync(join(ROOT, 'charts', 'rate', 'values.yaml'), 'utf8'));
const appVersion = String(parse(readFileSync(join(ROOT, 'charts', 'rate', 'Chart.yaml'), 'utf8')).appVersion);

describe('local images', () => {
  it('are tagged as versions.env and the chart name them', () => {
    expect(localValues.kafka.image.tag).toBe(versions.KAFKA_VERSION);
    expect(localValues.redis.image.tag).toBe(versions.DEBIAN_SUITE);
    expect(localValues.tests.image).toBe(`rate-local/curl:${versions.DEBIAN_SUITE}`);
    for (const app of ['api', 'consumer']) {
      expect(localValues.image[app]).toMatchObject({
        repository: chartValues.image[app].repository,
        tag: chartValues.image[app].tag || appVersion,
        pullPolicy: 'Never',
      });
    }
  });

  it('use the Node.js major of the Dockerfile public base', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const publicNode = /^ARG NODE_IMAGE=node:(\d+)[.-]/m.exec(dockerfile);
    const publicRuntime = /^ARG RUNTIME_IMAGE=\S*nodejs(\d+)-/m.exec(dockerfile);
    expect(publicNode?.[1]).toBeDefined();
    expect(publicRuntime?.[1]).toBe(publicNode?.[1]);
    expect(versions.NODE_IMAGE_VERSION.split('.')[0]).toBe(publicNode?.[1]);
  });
});

describe('kafka image entrypoint', () => {
  /** Runs the entrypoint with a stand-in `java` that records its calls and prints the broker's properties file. */
  function entrypoint(env: Record<string, string>) {
    const bin = mkdtempSync(join(tmpdir(), 'rate-kafka-entry-'));
    writeFileSync(
      join(bin, 'java'),
      '#!/bin/sh\necho "java $*" >>"$(dirname "$0")/calls"\ncase "$*" in *kafka.Kafka*) for a; do last="$a"; done; cat "$last";; esac\n',
    );
    chmodSync(join(bin, 'java'), 0o755);
    const result = spawnSync('sh', [join(ROOT, 'scripts', 'images', 'bases', 'kafka-entrypoint.sh')], {
      encoding: 'utf8',
      env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    });
    const calls = result.status === 0 ? readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n') : [];
    return { ...result, calls };
  }

  it('turns KAFKA_* variables into server properties as the official image does, JVM options aside', () => {
    const result = entrypoint({
      CLUSTER_ID: 'rate-kraft-cluster-0001',
      KAFKA_NODE_ID: '1',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://rate-kafka.rate.svc.cluster.local:9092',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONFLUENT___SUPPORT__X: 'y',
      KAFKA_HEAP_OPTS: '-Xms256m -Xmx256m',
    });
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'node.id=1',
        'advertised.listeners=PLAINTEXT://rate-kafka.rate.svc.cluster.local:9092',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'confluent-support_x=y',
      ]),
    );
    expect(lines.filter((l) => l.includes('heap'))).toEqual([]);
    const [format, broker] = result.calls;
    expect(format).toContain('kafka.tools.StorageTool format --cluster-id rate-kraft-cluster-0001');
    expect(broker).toContain(' kafka.Kafka ');
    expect(broker).toContain('-Xms256m -Xmx256m');
  });

  it('refuses to start without CLUSTER_ID', () => {
    const result = entrypoint({ KAFKA_NODE_ID: '1' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('CLUSTER_ID is required');
  });
});
