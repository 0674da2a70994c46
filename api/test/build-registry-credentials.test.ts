// A preview build's registry credential in the bundled mode (issue 35): minted per build,
// it pushes and pulls exactly the preview's own repository (and its Kaniko cache) at a
// real CNCF distribution registry whose token server is the platform, and nothing else:
// not the service's production repository, not another tenant's; expired or revoked, no token.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { listen } from '../src/server.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { freeLoopbackPort, pullManifest, pushImage, startTokenRegistry, type Credentials, type RunningRegistry } from './support/registry-client.js';

describe('a build credential of one repository (bundled registry)', () => {
  let t: TestPlatform;
  let server: Server;
  let registry: RunningRegistry;
  let dir: string;
  let project: string;
  let robot: Credentials;
  let tokenUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-registry-'));
    const port = await freeLoopbackPort();
    t = await startTestPlatform({ REGISTRY_MODE: 'bundled', REGISTRY_HOST: `127.0.0.1:${String(port)}` });
    server = await listen(t.app, '127.0.0.1', 0);
    const api = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    tokenUrl = `${api}/registry/token`;
    const cookie = await t.signIn('alice', 101);
    const res = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'shop' }).expect(201);
    const made = await t.ctx.registries.credentialsFor(res.body.id as string, res.body.namespace as string);
    if (!made) throw new Error('no robot in bundled mode');
    robot = made;
    project = `dangus-${res.body.namespace as string}`;
    const jwks: unknown = await fetch(`${api}/registry/jwks.json`).then((r) => r.json());
    registry = await startTokenRegistry({ dir, port, realm: tokenUrl, service: 'dangus-registry', issuer: 'dangus-cloud', jwks });
    // The service's production image, pushed by the tenant's own robot.
    expect((await pushImage(registry.url, `${project}/web`, 'prod', robot)).status).toBe(201);
  }, 90_000);
  afterAll(async () => {
    await registry.stop();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const mint = async (repository: string, seconds = 600) => {
    const tokens = t.ctx.registries.tokens;
    if (!tokens) throw new Error('no token server in bundled mode');
    return tokens.builds.mint(repository, seconds);
  };

  it('pushes the preview\'s own repository and its cache, and nothing of the service or anyone else', async () => {
    const credential = await mint(`${project}/web--pr7`);
    const own = await pushImage(registry.url, `${project}/web--pr7`, 'abc', credential);
    expect(own.status).toBe(201);
    expect(own.granted?.map((g) => ({ ...g, actions: [...g.actions].sort() }))).toEqual([{ type: 'repository', name: `${project}/web--pr7`, actions: ['pull', 'push'] }]);
    expect((await pushImage(registry.url, `${project}/web--pr7/cache`, 'layer', credential)).status).toBe(201);
    // The service's production repository: neither overwritten nor read.
    const overwrite = await pushImage(registry.url, `${project}/web`, 'prod', credential);
    expect(overwrite.status).toBe(401);
    expect(overwrite.granted).toEqual([{ type: 'repository', name: `${project}/web`, actions: [] }]);
    expect((await pullManifest(registry.url, `${project}/web`, 'prod', credential)).status).toBe(401);
    // Another preview's repository, a look-alike, another tenant's: nothing.
    for (const name of [`${project}/web--pr8`, `${project}/web--pr7x`, `${project}/web--pr7/cache/x`, 'dangus-other/web--pr7']) {
      expect({ name, status: (await pushImage(registry.url, name, 'v1', credential)).status }).toEqual({ name, status: 401 });
    }
    // The production image is untouched.
    const prod = await pullManifest(registry.url, `${project}/web`, 'prod', robot);
    expect(prod.status).toBe(200);
  });

  it('gets no token once revoked or expired, and its tokens live no longer than it', async () => {
    const credential = await mint(`${project}/web--pr9`, 120);
    const basic = (c: { username: string; password: string }) => ({ Authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` });
    const asked = `${tokenUrl}?service=dangus-registry&scope=repository:${project}/web--pr9:push,pull`;
    const first = await fetch(asked, { headers: basic(credential) });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { expires_in: number };
    expect(body.expires_in).toBeLessThanOrEqual(120);
    // A wrong secret: 401.
    expect((await fetch(asked, { headers: basic({ ...credential, password: 'x' }) })).status).toBe(401);
    // Revoked when its build ended: 401, and the registry refuses the push.
    await t.ctx.registries.tokens?.builds.revoke(credential.username);
    expect((await fetch(asked, { headers: basic(credential) })).status).toBe(401);
    expect((await pushImage(registry.url, `${project}/web--pr9`, 'late', credential)).status).toBe(401);
    // Expired (its build's deadline passed): 401 too.
    const other = await mint(`${project}/web--pr10`, 600);
    await t.db.query(`UPDATE build_registry_credentials SET expires_at = now() - interval '1 second' WHERE username = $1`, [other.username]);
    expect((await fetch(`${tokenUrl}?service=dangus-registry&scope=repository:${project}/web--pr10:push`, { headers: basic(other) })).status).toBe(401);
    // Only the secret's digest is stored.
    const rows = await t.db.query<{ secret_hash: string }[]>(`SELECT secret_hash FROM build_registry_credentials`);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.secret_hash) && row.secret_hash !== other.password)).toBe(true);
  });
});
