import { renderNginxConf } from './nginx-conf';

describe('renderNginxConf', () => {
  const conf = renderNginxConf({ dir: '/run/nginx', port: 8080, upstreamPorts: [8081, 8082, 8083], runAsRoot: false });

  it('balances round robin over every replica', () => {
    expect(conf.match(/server 127\.0\.0\.1:\d+/g)).toEqual(['server 127.0.0.1:8081', 'server 127.0.0.1:8082', 'server 127.0.0.1:8083']);
    expect(conf).not.toMatch(/least_conn|ip_hash|hash /);
  });

  it('retries on another replica only a request the first cannot have seen, and skips a replica that refused', () => {
    expect(conf).toContain('proxy_next_upstream error timeout;');
    expect(conf).not.toMatch(/proxy_next_upstream [^;]*non_idempotent/);
    expect(conf.match(/server 127\.0\.0\.1:\d+ max_fails=1 fail_timeout=2s;/g)).toHaveLength(3);
  });

  it('keeps HTTP/1.1 connections to the upstreams alive', () => {
    expect(conf).toMatch(/keepalive \d+;/);
    expect(conf).toContain('proxy_http_version 1.1;');
    expect(conf).toContain('proxy_set_header Connection "";');
  });

  it('logs the upstream of every request and listens on loopback only', () => {
    expect(conf).toContain('upstream=$upstream_addr');
    expect(conf).toContain('listen 127.0.0.1:8080');
  });

  it('runs workers as root only when asked', () => {
    expect(conf).not.toContain('user root');
    expect(renderNginxConf({ dir: '/d', port: 1, upstreamPorts: [2], runAsRoot: true })).toContain('user root root;');
  });

  it('adds a front door per extra upstream set, each with its own upstream', () => {
    const withDoor = renderNginxConf({
      dir: '/d',
      port: 8080,
      upstreamPorts: [8081, 8082, 8083],
      runAsRoot: false,
      doors: [{ port: 8161, upstreamPorts: [8081] }],
    });
    expect(withDoor).toContain('listen 127.0.0.1:8161');
    expect(withDoor).toMatch(/upstream rate_api_8161 \{\n\s+server 127\.0\.0\.1:8081 [^\n]*\n\s+keepalive/);
    expect(withDoor).toContain('proxy_pass http://rate_api_8161;');
    expect(withDoor).toContain('door=$server_port');
  });
});
