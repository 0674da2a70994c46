// The bundled registry (REGISTRY_MODE=bundled): the platform is the token server of a
// real CNCF distribution registry (the binary the real-node tier runs, `auth: token`),
// on loopback. Tenants' robots push and pull their own repositories and nothing else;
// retention and a tenant's deletion go through the registry's delete API.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { registryJwksDtoSchema, registryTokenDtoSchema } from '@dangus/common';
import { listen } from '../src/server.js';
import { RegistryTokens } from '../src/registry/registry-tokens.js';
import { pruneReleaseImages } from '../src/use-cases/release-retention.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { freeLoopbackPort, pullManifest, pushImage, registryRequest, startTokenRegistry, type Credentials, type RunningRegistry } from './support/registry-client.js';

describe('bundled registry with the platform as its token server', () => {
  let t: TestPlatform;
  let server: Server;
  let registry: RunningRegistry;
  let dir: string;
  let registryHost: string;
  const tenants: Record<'a' | 'b', { id: string; namespace: string; project: string; robot: Credentials; cookie: string }> = {} as never;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-registry-'));
    const port = await freeLoopbackPort();
    registryHost = `127.0.0.1:${String(port)}`;
    t = await startTestPlatform({ REGISTRY_MODE: 'bundled', REGISTRY_HOST: registryHost });
    server = await listen(t.app, '127.0.0.1', 0);
    const api = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    for (const [key, login, id] of [['a', 'alice', 101], ['b', 'bob', 102]] as const) {
      const cookie = await t.signIn(login, id);
      const res = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'shop' }).expect(201);
      const project = { id: res.body.id as string, namespace: res.body.namespace as string };
      const robot = await t.ctx.registries.credentialsFor(project.id, project.namespace);
      if (!robot) throw new Error('no robot in bundled mode');
      tenants[key] = { ...project, project: `dangus-${project.namespace}`, robot, cookie };
    }
    const jwks: unknown = await fetch(`${api}/registry/jwks.json`).then((r) => r.json());
    registry = await startTokenRegistry({ dir, port, realm: `${api}/registry/token`, service: 'dangus-registry', issuer: 'dangus-cloud', jwks });
  });
  afterAll(async () => {
    await registry.stop();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each tenant a robot of its own, its secret encrypted, under the Harbor-like name', async () => {
    const { a, b } = tenants;
    expect(a.robot.username).toMatch(new RegExp(`^robot\\$${a.project.replace(/[$]/g, '\\$')}\\+builder-[0-9a-f]{6}$`));
    expect(a.robot.username).not.toBe(b.robot.username);
    const rows = await t.db.query<{ robot_secret: string }[]>(`SELECT robot_secret FROM tenant_registries WHERE project_id = $1`, [a.id]);
    expect(rows[0]?.robot_secret).toMatch(/^v1:/);
    expect(rows[0]?.robot_secret).not.toContain(a.robot.password);
    const [key] = await t.db.query<{ private_key: string }[]>(`SELECT private_key FROM registry_signing_keys`);
    expect(key?.private_key).toMatch(/^v1:/);
    expect(key?.private_key).not.toContain('PRIVATE KEY');
    expect(t.ctx.registries.status).toEqual({ mode: 'per-tenant', warning: null });
  });

  it("lets a tenant's robot push and pull its own repository", async () => {
    const { a } = tenants;
    const pushed = await pushImage(registry.url, `${a.project}/web`, 'v1', a.robot);
    expect(pushed.status).toBe(201);
    // The registry's challenge lists the actions in no fixed order.
    expect(pushed.granted?.map((g) => ({ ...g, actions: [...g.actions].sort() }))).toEqual([{ type: 'repository', name: `${a.project}/web`, actions: ['pull', 'push'] }]);
    const pulled = await pullManifest(registry.url, `${a.project}/web`, 'v1', a.robot);
    expect(pulled.status).toBe(200);
    expect(pulled.body.equals(pushed.manifest)).toBe(true);
  });

  it("refuses a tenant's robot the other tenant's repository, push and pull, at the registry", async () => {
    const { a, b } = tenants;
    expect((await pushImage(registry.url, `${b.project}/web`, 'v1', b.robot)).status).toBe(201);
    const pull = await pullManifest(registry.url, `${b.project}/web`, 'v1', a.robot);
    expect(pull.tokenStatus).toBe(200);
    expect(pull.granted).toEqual([{ type: 'repository', name: `${b.project}/web`, actions: [] }]);
    expect(pull.status).toBe(401);
    const push = await pushImage(registry.url, `${b.project}/web`, 'evil', a.robot);
    expect(push.status).toBe(401);
    expect(push.digest).toBeNull();
    // B's image is untouched, and B still pulls it.
    expect((await pullManifest(registry.url, `${b.project}/web`, 'evil', b.robot)).status).toBe(404);
    expect((await pullManifest(registry.url, `${b.project}/web`, 'v1', b.robot)).status).toBe(200);
  });

  it('grants nothing outside the namespace, nothing anonymously, and refuses a wrong secret', async () => {
    const { a } = tenants;
    for (const name of [`dangus-other/web`, `${a.project}x/web`, 'library/alpine']) {
      const pushed = await pushImage(registry.url, name, 'v1', a.robot);
      expect(pushed.status).toBe(401);
    }
    const catalog = await registryRequest(`${registry.url}/v2/_catalog`, { method: 'GET' }, a.robot);
    expect(catalog.granted).toEqual([{ type: 'registry', name: 'catalog', actions: [] }]);
    expect(catalog.status).toBe(401);
    const anonymous = await pullManifest(registry.url, `${a.project}/web`, 'v1', null);
    expect(anonymous.granted).toEqual([{ type: 'repository', name: `${a.project}/web`, actions: [] }]);
    expect(anonymous.status).toBe(401);
    const wrong = await pullManifest(registry.url, `${a.project}/web`, 'v1', { username: a.robot.username, password: 'not-the-secret' });
    expect(wrong.tokenStatus).toBe(401);
    expect(wrong.status).toBe(401);
    // Another registry's service: refused by the token server.
    const token = await fetch(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}/registry/token?service=elsewhere&scope=repository:${a.project}/web:pull`, {
      headers: { Authorization: `Basic ${Buffer.from(`${a.robot.username}:${a.robot.password}`).toString('base64')}` },
    });
    expect(token.status).toBe(400);
  });

  it('answers in the documented shapes: the token response and the key set', async () => {
    const { a } = tenants;
    const api = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    const res = await fetch(`${api}/registry/token?service=dangus-registry&scope=repository:${a.project}/web:pull`, {
      headers: { Authorization: `Basic ${Buffer.from(`${a.robot.username}:${a.robot.password}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = registryTokenDtoSchema.parse(await res.json());
    expect(body.token).toBe(body.access_token);
    expect(body.expires_in).toBeGreaterThanOrEqual(60);
    const [header, claims] = body.token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    const jwks = registryJwksDtoSchema.parse(await fetch(`${api}/registry/jwks.json`).then((r) => r.json()));
    expect(header).toEqual({ typ: 'JWT', alg: 'ES256', kid: jwks.keys[0]?.kid });
    expect(claims).toEqual(expect.objectContaining({ iss: 'dangus-cloud', aud: 'dangus-registry', sub: a.robot.username }));
    const malformed = await fetch(`${api}/registry/token?service=dangus-registry`, { headers: { Authorization: 'Basic !!!' } });
    expect(malformed.status).toBe(401);
  });

  it('logs every scope it refuses, with the robot, never the secret', async () => {
    const { a, b } = tenants;
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const tokens = new RegistryTokens({ db: t.db, encryptor: t.encryptor, logger: pino({ level: 'info' }, sink), settings: { service: 'dangus-registry', issuer: 'dangus-cloud' } });
    const outcome = await tokens.issue({ credentials: a.robot, service: 'dangus-registry', scopes: [`repository:${a.project}/web:pull`, `repository:${b.project}/web:pull,push`, 'registry:catalog:*'] });
    expect(outcome.ok && outcome.access).toEqual([
      { type: 'repository', name: `${a.project}/web`, actions: ['pull'] },
      { type: 'repository', name: `${b.project}/web`, actions: [] },
      { type: 'registry', name: 'catalog', actions: [] },
    ]);
    const refused = lines.map((l) => JSON.parse(l) as { msg: string; robot: string; scope: string; reason: string }).filter((l) => l.msg === 'registry token: scope refused');
    expect(refused.map((l) => [l.robot, l.scope])).toEqual([
      [a.robot.username, `repository:${b.project}/web:pull,push`],
      [a.robot.username, 'registry:catalog:*'],
    ]);
    expect(lines.join('')).not.toContain(a.robot.password);
  });

  it('deletes images beyond RELEASES_KEPT through the registry, and a deleted tenant\'s images', async () => {
    const { a } = tenants;
    const service = await request(t.app)
      .post(`/api/projects/${a.id}/services`)
      .set({ Cookie: a.cookie, Origin: ORIGIN })
      .send({ name: 'api', repoUrl: 'https://github.com/alice/api', port: 80 })
      .expect(201);
    const digests: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const sha = String(i).padStart(40, 'a');
      const pushed = await pushImage(registry.url, `${a.project}/api`, sha, a.robot);
      expect(pushed.status).toBe(201);
      const digest = pushed.digest ?? '';
      digests.push(digest);
      await t.db.query(
        `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest, release_config, release_env, created_at)
         VALUES ($1, $2, 'live', 'push', $3, $4, '{"port":80,"healthCheckPath":null,"storageGb":null}', '[]', now() - make_interval(mins => $5))`,
        [service.body.id, sha, `${registryHost}/${a.project}/api:${sha}@${digest}`, digest, 10 - i],
      );
    }
    const result = await pruneReleaseImages({ db: t.db, registries: t.ctx.registries, logger: pino({ level: 'silent' }), releasesKept: 2 });
    expect(result).toEqual({ deleted: 1, failed: 0 });
    const statuses = await Promise.all(digests.map(async (d) => (await pullManifest(registry.url, `${a.project}/api`, d, a.robot)).status));
    expect(statuses).toEqual([404, 200, 200]);

    await request(t.app).delete(`/api/projects/${a.id}`).set({ Cookie: tenants.a.cookie, Origin: ORIGIN }).expect(204);
    // The robot is gone with its row; the platform's own token shows the images are too.
    expect((await pullManifest(registry.url, `${a.project}/web`, 'v1', a.robot)).tokenStatus).toBe(401);
    const platform = t.ctx.registries.tokens;
    if (!platform) throw new Error('bundled mode has a token server');
    for (const [repo, ref] of [['web', 'v1'], ['api', digests[1] ?? '']]) {
      const token = await platform.platformToken([{ type: 'repository', name: `${a.project}/${repo}`, actions: ['pull'] }]);
      const res = await fetch(`${registry.url}/v2/${a.project}/${repo}/manifests/${ref}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(res.status).toBe(404);
    }
  });
});
