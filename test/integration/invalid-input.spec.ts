import { Kafka } from 'kafkajs';
import { BASE_URL, testKafka, topicEnd } from './test-stack';

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  message: RegExp;
}

const json = { 'content-type': 'application/json' };
const CASES: Case[] = [
  { name: 'no rate at all', path: '/rate', status: 400, message: /rate is required/ },
  { name: 'rate=0', path: '/rate?rate=0', status: 400, message: /integer from 1 to 10, got 0/ },
  { name: 'rate=11', path: '/rate?rate=11', status: 400, message: /got 11/ },
  { name: 'rate=-1', path: '/rate?rate=-1', status: 400, message: /got -1/ },
  { name: 'rate=5.0', path: '/rate?rate=5.0', status: 400, message: /got "5\.0"/ },
  { name: 'rate=5.5', path: '/rate?rate=5.5', status: 400, message: /got "5\.5"/ },
  { name: 'rate=1e1', path: '/rate?rate=1e1', status: 400, message: /got "1e1"/ },
  { name: 'empty rate', path: '/rate?rate=', status: 400, message: /got ""/ },
  { name: 'repeated rate', path: '/rate?rate=5&rate=6', status: 400, message: /rate is repeated/ },
  { name: 'rate array syntax', path: '/rate?rate[]=5', status: 400, message: /unknown query parameter/ },
  { name: 'bad subject', path: '/rate?rate=5&subject=a%20b', status: 400, message: /subject must match/ },
  { name: 'subject too long', path: `/rate?rate=5&subject=${'x'.repeat(65)}`, status: 400, message: /subject must match/ },
  { name: 'unknown parameter', path: '/rate?rate=5&rat=5', status: 400, message: /unknown query parameter "rat"/ },
  { name: 'JSON string rate', path: '/rate', headers: json, body: '{"rate":"5"}', status: 400, message: /got "5"/ },
  { name: 'JSON 5.0', path: '/rate', headers: json, body: '{"rate":5.0}', status: 400, message: /got "5\.0"/ },
  { name: 'JSON 1e1', path: '/rate', headers: json, body: '{"rate":1e1}', status: 400, message: /got "1e1"/ },
  { name: 'JSON array rate', path: '/rate', headers: json, body: '{"rate":[5]}', status: 400, message: /got \[5\]/ },
  { name: 'JSON array body', path: '/rate', headers: json, body: '[5]', status: 400, message: /JSON object/ },
  { name: 'JSON extra field', path: '/rate', headers: json, body: '{"rate":5,"x":1}', status: 400, message: /unknown field "x"/ },
  { name: 'malformed JSON', path: '/rate', headers: json, body: '{"rate":', status: 400, message: /not valid JSON/ },
  { name: 'empty JSON body', path: '/rate', headers: json, body: '', status: 400, message: /body is empty/ },
  { name: 'query and body', path: '/rate?rate=5', headers: json, body: '{"rate":5}', status: 400, message: /not both/ },
  {
    name: 'body over 1 KiB',
    path: '/rate',
    headers: json,
    body: JSON.stringify({ rate: 5, subject: 'x'.repeat(1100) }),
    status: 413,
    message: /too large|larger/,
  },
  { name: 'text/plain body', path: '/rate', headers: { 'content-type': 'text/plain' }, body: 'rate=5', status: 415, message: /./ },
  {
    name: 'form body',
    path: '/rate',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'rate=5',
    status: 415,
    message: /./,
  },
  { name: 'GET with bad subject', method: 'GET', path: '/rate?subject=%2F..', status: 400, message: /subject must match/ },
  { name: 'GET with unknown parameter', method: 'GET', path: '/rate?subject=a&x=1', status: 400, message: /unknown query parameter "x"/ },
  { name: 'unknown route', method: 'GET', path: '/ratings', status: 404, message: /Cannot GET \/ratings/ },
  { name: 'wrong method DELETE', method: 'DELETE', path: '/rate', status: 404, message: /Cannot DELETE \/rate/ },
  { name: 'wrong method PUT', method: 'PUT', path: '/rate?rate=5', status: 404, message: /Cannot PUT/ },
];

describe('invalid input', () => {
  let kafka: Kafka;
  beforeAll(() => {
    kafka = testKafka();
  });

  it.each(CASES)('$name → $status with the error shape, nothing produced', async ({ method, path, headers, body, status, message }) => {
    const before = await topicEnd(kafka, 'rates');
    const response = await fetch(`${BASE_URL}${path}`, { method: method ?? 'POST', headers, body });
    const text = await response.text();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('x-replica')).toMatch(/^api-\d$/);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['error', 'message', 'statusCode']);
    expect(parsed.statusCode).toBe(status);
    expect(parsed.message).toMatch(message);
    expect(text).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(await topicEnd(kafka, 'rates')).toBe(before);
  });
});
