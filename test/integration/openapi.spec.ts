import { readiness, startExtraApp } from './extra-app';
import { BASE_URL, uniqueSubject } from './test-stack';

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: { $ref?: string } }> }>;
}

/** The document the API generates from its code (@nestjs/swagger), as a client fetches it. */
describe('GET /openapi.json', () => {
  let document: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }> };
  };

  beforeAll(async () => {
    const response = await fetch(`${BASE_URL}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-replica')).toMatch(/^api-\d$/);
    document = (await response.json()) as typeof document;
  });

  it('is OpenAPI 3 and describes POST /rate as it behaves', () => {
    expect(document.openapi).toMatch(/^3\./);
    const post = document.paths['/rate'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['202', '400', '413', '415', '429', '503']);
    expect(post.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'rate',
          in: 'query',
          required: false,
          schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 10 }),
        }),
        expect.objectContaining({ name: 'subject', in: 'query', schema: expect.objectContaining({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }) }),
        expect.objectContaining({
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: expect.objectContaining({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }),
        }),
      ]),
    );
    expect(post.requestBody).toMatchObject({
      required: false,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RateInputDto' } } },
    });
    expect(document.components.schemas.RateInputDto.properties.rate).toMatchObject({ type: 'integer', minimum: 1, maximum: 10 });
    expect(post.responses['503'].headers).toHaveProperty('Retry-After');
    expect(post.responses['400'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/ErrorBodyDto');
  });

  it('describes GET /rate, the error body and the x-replica header of every response', () => {
    const get = document.paths['/rate'].get;
    expect(Object.keys(get.responses).sort()).toEqual(['200', '400', '429', '503']);
    expect(document.components.schemas.ErrorBodyDto.required?.sort()).toEqual(['error', 'message', 'statusCode']);
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) expect(response.headers).toHaveProperty('x-replica');
      }
    }
  });
});

describe('REPLICA_HEADER=false (the chart’s default)', () => {
  const api = startExtraApp('rate-api', 18141, { REPLICA_HEADER: 'false' });
  afterAll(() => api.stop());

  it('names no replica in answers or in the document', async () => {
    await readiness(api.base, (status) => status === 200);
    const post = await fetch(`${api.base}/rate?rate=3&subject=${uniqueSubject('no-replica-header')}`, { method: 'POST' });
    expect(post.status).toBe(202);
    const missing = await fetch(`${api.base}/nowhere`);
    const openapi = await fetch(`${api.base}/openapi.json`);
    expect([post, missing, openapi].map((r) => r.headers.get('x-replica'))).toEqual([null, null, null]);
    const document = (await openapi.json()) as { paths: Record<string, Record<string, Operation>> };
    const headers = Object.values(document.paths).flatMap((ops) =>
      Object.values(ops).flatMap((op) => Object.values(op.responses).map((r) => Object.keys(r.headers ?? {}))),
    );
    expect(headers.flat()).not.toContain('x-replica');
    expect(headers.flat()).toContain('Retry-After');
  });
});
