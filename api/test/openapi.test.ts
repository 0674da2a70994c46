// The api's OpenAPI document (GET /api/openapi.json), against the real app: every route the
// server mounts is in it, it is a valid OpenAPI 3.1 document, the real answers validate
// against the schemas it documents, and what it says about sessions holds.
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import request from 'supertest';
import { mountedRoutes, openApiPath } from '../src/http/openapi/walk.js';
import { declaredRoute, isExcluded } from '../src/http/openapi/describe.js';
import { DeploymentEntity, EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload } from './support/webhook-payloads.js';

interface Operation {
  security?: unknown[];
  requestBody?: { content: Record<string, { schema?: { $ref?: string } }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
  'x-dangus-access'?: string;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

describe('the OpenAPI document', () => {
  let t: TestPlatform;
  let doc: Document;
  let admin: string;
  let member: string;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);

  /** The documented JSON schema of `method path`'s answer with `status`, as a JSON pointer into the document. */
  function answerSchemaRef(method: string, path: string, status: number): string {
    const operation = doc.paths[path]?.[method];
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${method.toUpperCase()} ${path} does not document a ${String(status)}`);
    if (response.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      return `openapi.json#/${pointer('components', 'responses', name, 'content', 'application/json', 'schema')}`;
    }
    if (!response.content?.['application/json']?.schema) throw new Error(`${method.toUpperCase()} ${path} ${String(status)} has no JSON body`);
    return `openapi.json#/${pointer('paths', path, method, 'responses', String(status), 'content', 'application/json', 'schema')}`;
  }

  /** Checks a real answer against its documented schema; returns the body. */
  function conforms(method: string, path: string, res: request.Response): unknown {
    const validate = ajv.compile({ $ref: answerSchemaRef(method, path, res.status) });
    const body: unknown = res.body;
    if (!validate(body)) {
      throw new Error(`${method.toUpperCase()} ${path} ${String(res.status)} does not match its documented schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
    }
    return body;
  }

  beforeAll(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'docs-admin' });
    admin = await t.signIn('docs-admin', 7001);
    member = await t.signIn('docs-member', 7002);
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    doc = res.body as Document;
    ajv.addSchema(doc, 'openapi.json');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is public and cacheable: no session, an ETag, and a 304 when unchanged', async () => {
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const etag = String(res.headers.etag);
    expect(etag).toMatch(/^W\/"/);
    await request(t.app).get('/api/openapi.json').set('If-None-Match', etag).expect(304);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('has every route the server mounts, and nothing it does not', () => {
    const mounted = mountedRoutes(t.app);
    // The walk reaches every router: one route of each.
    const seen = new Set(mounted.map((r) => `${r.method} ${String(r.path)}`));
    for (const route of [
      'get /healthz', 'get /auth/me', 'post /webhooks/github/:serviceId', 'get /state.git/info/refs', 'get /api/openapi.json',
      'get /api/projects', 'get /api/events', 'delete /api/admin/users/:userId', 'get /api/system/applier',
    ]) {
      expect(seen).toContain(route);
    }
    const expected: string[] = [];
    const excluded: string[] = [];
    for (const route of mounted) {
      const declared = declaredRoute(route.router, route.method, route.routePath);
      if (declared && isExcluded(declared.doc)) {
        excluded.push(`${route.method} ${String(route.path)}`);
        continue;
      }
      expected.push(`${route.method} ${typeof route.path === 'string' ? openApiPath(route.path) : String(route.path)}`);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...new Set(expected)].sort());
    // Only the UI's pages are left out, on purpose.
    expect(excluded).toEqual(['get /.*/']);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents the one error shape once, and every 4xx refers to it', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^4/.test(status) || path.startsWith('/state.git')) continue;
          expect({ operation: `${method} ${path} ${status}`, ref: response.$ref }).toEqual({ operation: `${method} ${path} ${status}`, ref: `#/components/responses/Error${status}` });
        }
      }
    }
    expect(JSON.stringify(doc.components.responses.Error404?.content)).toBe('{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}');
  });

  it("the real api's answers validate against their documented schemas", async () => {
    const as = (cookie: string) => <T extends request.Test>(req: T) => req.set({ Cookie: cookie, Origin: ORIGIN });
    const user = as(member);
    const get = (path: string, cookie = member) => as(cookie)(request(t.app).get(path));

    conforms('get', '/healthz', await request(t.app).get('/healthz').expect(200));
    conforms('get', '/readyz', await request(t.app).get('/readyz').expect(200));
    conforms('get', '/auth/config', await request(t.app).get('/auth/config').expect(200));
    conforms('get', '/auth/me', await get('/auth/me').expect(200));
    conforms('get', '/api/openapi.json', await request(t.app).get('/api/openapi.json').expect(200));

    const project = conforms('post', '/api/projects', await user(request(t.app).post('/api/projects')).send({ name: 'documented' }).expect(201)) as { id: string };
    conforms('get', '/api/projects', await get('/api/projects').expect(200));
    conforms('get', '/api/sizes', await get('/api/sizes').expect(200));
    const service = conforms(
      'post',
      '/api/projects/{projectId}/services',
      await user(request(t.app).post(`/api/projects/${project.id}/services`)).send({ name: 'web', repoUrl: 'https://github.com/docs/web', port: 8080 }).expect(201),
    ) as { id: string; webhookSecret: string };
    conforms('get', '/api/projects/{projectId}', await get(`/api/projects/${project.id}`).expect(200));
    conforms('get', '/api/services/{serviceId}', await get(`/api/services/${service.id}`).expect(200));
    conforms('patch', '/api/services/{serviceId}', await user(request(t.app).patch(`/api/services/${service.id}`)).send({ healthCheckPath: '/up' }).expect(200));
    const env = conforms('post', '/api/services/{serviceId}/env', await user(request(t.app).post(`/api/services/${service.id}/env`)).send({ key: 'MODE', value: 'docs' }).expect(201)) as { id: string };
    conforms('patch', '/api/services/{serviceId}/env/{envId}', await user(request(t.app).patch(`/api/services/${service.id}/env/${env.id}`)).send({ value: 'other' }).expect(200));
    conforms('get', '/api/services/{serviceId}/env', await get(`/api/services/${service.id}/env`).expect(200));
    // Without a cluster "Deploy now" and a restart are refused; a push is recorded and waits.
    conforms('post', '/api/services/{serviceId}/deploy', await user(request(t.app).post(`/api/services/${service.id}/deploy`)).expect(503));
    conforms('post', '/api/services/{serviceId}/restart', await user(request(t.app).post(`/api/services/${service.id}/restart`)).expect(503));
    const push = JSON.stringify(pushPayload({ repo: 'docs/web', ref: 'refs/heads/main' }));
    const pushed = conforms('post', '/webhooks/github/{serviceId}', await request(t.app).post(`/webhooks/github/${service.id}`).set(deliveryHeaders(service.webhookSecret, push, 'push')).send(push).expect(202)) as { deploymentId: string };
    const deployment = { id: pushed.deploymentId };
    conforms('get', '/api/services/{serviceId}/deployments', await get(`/api/services/${service.id}/deployments`).expect(200));
    conforms('get', '/api/deployments/{deploymentId}', await get(`/api/deployments/${deployment.id}`).expect(200));
    conforms('get', '/api/deployments/{deploymentId}/rollback', await get(`/api/deployments/${deployment.id}/rollback`).expect(200));
    conforms('get', '/api/services/{serviceId}/webhook-deliveries', await get(`/api/services/${service.id}/webhook-deliveries`).expect(200));
    conforms('get', '/api/services/{serviceId}/history', await get(`/api/services/${service.id}/history`).expect(200));

    conforms('get', '/api/admin/users', await get('/api/admin/users', admin).expect(200));
    conforms('get', '/api/admin/limits', await get('/api/admin/limits', admin).expect(200));
    conforms('get', '/api/admin/access-requests', await get('/api/admin/access-requests', admin).expect(200));
    conforms('get', '/api/system/registry', await get('/api/system/registry', admin).expect(200));
    conforms('get', '/api/system/state-repo', await get('/api/system/state-repo', admin).expect(200));
    conforms('get', '/api/system/tenant-failures', await get('/api/system/tenant-failures', admin).expect(200));

    // Refusals answer the one error shape, as documented.
    conforms('post', '/api/projects', await user(request(t.app).post('/api/projects')).send({ name: 'Not A Name', extra: 1 }).expect(400));
    conforms('get', '/api/services/{serviceId}', await get(`/api/services/${crypto.randomUUID()}`).expect(404));
    conforms('get', '/api/projects', await request(t.app).get('/api/projects').expect(401));
    conforms('get', '/api/admin/users', await get('/api/admin/users').expect(403));
    conforms('post', '/webhooks/github/{serviceId}', await request(t.app).post(`/webhooks/github/${service.id}`).set('Content-Type', 'application/json').send('{}').expect(401));
  });

  it("every documented operation on another user's object is a 404 and changes nothing", async () => {
    // An owner's project, service, env var and deployment; the member tries each operation on them.
    const owner = await t.signIn('docs-owner', 7003);
    const asOwner = <T extends request.Test>(req: T) => req.set({ Cookie: owner, Origin: ORIGIN });
    const projectId = String((await asOwner(request(t.app).post('/api/projects')).send({ name: 'owned' }).expect(201)).body.id);
    const serviceId = String(
      (await asOwner(request(t.app).post(`/api/projects/${projectId}/services`)).send({ name: 'vault', repoUrl: 'https://github.com/owner/vault', port: 80 }).expect(201)).body.id,
    );
    const envId = String((await asOwner(request(t.app).post(`/api/services/${serviceId}/env`)).send({ key: 'TOKEN', value: 's3cret' }).expect(201)).body.id);
    const secret = String((await asOwner(request(t.app).get(`/api/services/${serviceId}`)).expect(200)).body.webhookSecret);
    const push = JSON.stringify(pushPayload({ repo: 'owner/vault', ref: 'refs/heads/main' }));
    const deploymentId = String((await request(t.app).post(`/webhooks/github/${serviceId}`).set(deliveryHeaders(secret, push, 'push')).send(push).expect(202)).body.deploymentId);
    const ids: Record<string, string> = { projectId, serviceId, envId, deploymentId, sha: 'c'.repeat(40) };
    // A valid body of each documented request body: the refusal is the 404, not the input.
    const bodies: Record<string, object> = {
      CreateService: { name: 'intruder', repoUrl: 'https://github.com/member/intruder', port: 80 },
      UpdateService: { port: 81 },
      CreateEnvVar: { key: 'STOLEN', value: 'x' },
      UpdateEnvVar: { value: 'stolen' },
      ImportEnv: { dotenv: 'STOLEN=x\n' },
      GitHubAppManifestRequest: { owner: 'user' },
    };
    // Operations whose parameters name no platform object, with the test of their 404s.
    const notPlatformObjects: Record<string, string> = {
      'get /api/github/repositories/{owner}/{repo}/branches': 'a GitHub repository (github-repositories.test.ts: one the user cannot see, one outside the App, none: 404)',
    };
    const tried: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const named = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
        if (named.length === 0 || (operation.security ?? []).length === 0 || operation['x-dangus-access'] === 'admin') continue;
        if (notPlatformObjects[`${method} ${path}`]) continue;
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? `no-id-for-${name}`);
        const bodyRef = operation.requestBody?.content['application/json']?.schema?.$ref;
        const body = bodyRef ? bodies[bodyRef.replace('#/components/schemas/', '')] : undefined;
        if (bodyRef && !body) throw new Error(`${method} ${path}: give an example of ${bodyRef} above`);
        const req = request(t.app)[method as 'get' | 'post' | 'patch' | 'delete'](url).set({ Cookie: member, Origin: ORIGIN });
        const res = await (body ? req.send(body) : req);
        expect({ operation: `${method} ${path}`, status: res.status, code: (res.body as { error?: { code?: string } }).error?.code }).toEqual({
          operation: `${method} ${path}`,
          status: 404,
          code: 'not_found',
        });
        tried.push(`${method} ${path}`);
      }
    }
    expect(tried.length).toBeGreaterThan(20);
    expect(await t.db.getRepository(ProjectEntity).countBy({ id: projectId })).toBe(1);
    expect(await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: serviceId })).toMatchObject({ port: 80, projectId });
    expect(await t.db.getRepository(ServiceEntity).countBy({ projectId })).toBe(1);
    expect(await t.db.getRepository(EnvVarEntity).findOneByOrFail({ id: envId })).toMatchObject({ key: 'TOKEN' });
    expect(await t.db.getRepository(DeploymentEntity).countBy({ serviceId })).toBe(1);
  });

  it('what it says about sessions holds: without one, a session-only operation is a 401; a member gets 403 from admin ones only', async () => {
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name.endsWith('Id') ? crypto.randomUUID() : 'x'));
        const send = (cookie?: string) => {
          const req = request(t.app)[method as 'get' | 'post' | 'patch' | 'delete'](url).set('Origin', ORIGIN);
          return cookie ? req.set('Cookie', cookie) : req;
        };
        if ((operation.security ?? []).length === 0) {
          expect({ operation: `${method} ${path}`, status: (await send()).status }).not.toEqual({ operation: `${method} ${path}`, status: 401 });
          continue;
        }
        expect({ operation: `${method} ${path}`, status: (await send()).status }).toEqual({ operation: `${method} ${path}`, status: 401 });
        const streams = Object.values(operation.responses).some((r) => r.content?.['text/event-stream']);
        if (operation['x-dangus-access'] === 'admin') {
          expect({ operation: `${method} ${path}`, status: (await send(member)).status }).toEqual({ operation: `${method} ${path}`, status: 403 });
        } else if (!streams && path !== '/auth/logout') {
          // A member gets past the session check (to a 404 of the made-up id, or a 400): not a 403.
          // (Not a stream, which would stay open, nor the logout, which would end the member's session.)
          expect({ operation: `${method} ${path}`, status: (await send(member)).status }).not.toEqual({ operation: `${method} ${path}`, status: 403 });
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
