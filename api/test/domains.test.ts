// Custom domains (issue 34) at the api level: the real platform (role `all`, outbox, leader,
// state repo) with its DNS checks pointed at a BIND the test controls on loopback.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startSilentDns, startTestDns, type TestDns } from './support/test-dns.js';

const exec = promisify(execFile);
const BASE = 'apps.test';
// A platform, a BIND and DNS timeouts: more than the default on a loaded machine.
jest.setTimeout(120_000);

describe('custom domains', () => {
  let t: TestPlatform;
  let dns: TestDns;
  let cookie: string;
  let other: string;
  let serviceId: string;
  let ns: string;
  const post = (path: string, body: object, as = cookie) => request(t.app).post(`/api${path}`).set('Cookie', as).set('Origin', ORIGIN).send(body);
  const get = (path: string, as = cookie) => request(t.app).get(`/api${path}`).set('Cookie', as);
  const del = (path: string, as = cookie) => request(t.app).delete(`/api${path}`).set('Cookie', as).set('Origin', ORIGIN);
  const rows = () => t.db.query<{ domain: string; status: string }[]>(`SELECT domain, status FROM custom_domains ORDER BY domain`);
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;

  beforeAll(async () => {
    dns = await startTestDns(['example.org', 'example.net']);
    t = await startTestPlatform({ BASE_DOMAIN: BASE, DOMAIN_DNS_SERVERS: dns.server, DOMAIN_DNS_TIMEOUT_SECONDS: '1' });
    cookie = await t.signIn('octocat', 4242);
    other = await t.signIn('mallory', 666);
    const project = await post('/projects', { name: 'shop' }).expect(201);
    ns = project.body.namespace as string;
    const service = await post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    serviceId = service.body.id as string;
  });
  afterAll(async () => {
    await t.close();
    await dns.stop();
  });

  it('refuses every bad domain with a 400 naming the field, and stores nothing', async () => {
    const bad: Array<[string, RegExp]> = [
      ['blog example.org', /no spaces/],
      ['blog..example.org', /empty label/],
      ['*.example.org', /Wildcard/],
      [`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.org`, /253/],
      [`${'a'.repeat(64)}.example.org`, /longer than 63/],
      ['exаmple.org', /mixes/], // a Cyrillic "а" among Latin letters
      ['\u0430\u0440\u0440\u04cf\u0435.com', /look Latin/], // "аррӏе": Cyrillic letters only, each a Latin look-alike
      ['192.0.2.1', /IP address/],
      ['[2001:db8::1]', /IP address|scheme, port or path/],
      ['localhost', /localhost/],
      ['app.localhost', /localhost/],
      ['127.0.0.1', /IP address/],
      [`x.${BASE}`, /platform's own/],
      [BASE, /platform's own/],
      ['127.0.0.1:3000', /scheme, port or path/], // the platform's host (PUBLIC_URL) with its port
      ['https://blog.example.org/', /scheme, port or path/],
      ['-blog.example.org', /inner hyphens/],
      ['blog', /full domain/],
      ['', /Enter a domain/],
    ];
    for (const [domain, message] of bad) {
      const res = await post(`/services/${serviceId}/domains`, { domain }).expect(400);
      expect({ domain, fields: res.body.error.fields as unknown }).toEqual({ domain, fields: { domain: [expect.stringMatching(message)] } });
    }
    await post(`/services/${serviceId}/domains`, { domain: 42 }).expect(400);
    await post(`/services/${serviceId}/domains`, { domain: 'ok.example.org', extra: 1 }).expect(400);
    expect(await rows()).toEqual([]);
  });

  it('stores a domain normalized (lowercase, no trailing dot, IDN as punycode), pending, in a commit', async () => {
    const added = await post(`/services/${serviceId}/domains`, { domain: '  Blog.Example.ORG.  ' }).expect(201);
    expect(added.body).toMatchObject({
      domain: 'blog.example.org',
      status: 'pending',
      txtRecord: { name: '_dangus-challenge.blog.example.org', value: expect.stringMatching(/^dangus-verify=[A-Za-z0-9_-]{24}$/) as unknown },
      lastCheck: null,
      verifiedAt: null,
      certificate: { state: 'none' },
    });
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): add blog.example.org`);
    // Pending: recorded in the state repo, routed nowhere.
    expect(await git('show', `HEAD:tenants/${ns}/web/custom-domains.yaml`)).toMatch(/blog\.example\.org pending/);
    expect(await git('ls-tree', '--name-only', `HEAD:tenants/${ns}/web/`)).not.toMatch(/domain-blog/);
    const idn = await post(`/services/${serviceId}/domains`, { domain: 'bücher.example.net' }).expect(201);
    expect(idn.body.domain).toBe('xn--bcher-kva.example.net');
    const listed = await get(`/services/${serviceId}/domains`).expect(200);
    expect((listed.body as { domain: string }[]).map((d) => d.domain)).toEqual(['blog.example.org', 'xn--bcher-kva.example.net']);
    await del(`/services/${serviceId}/domains/${idn.body.id as string}`).expect(204);
  });

  it('answers another user 404 for the service and 409 for a claimed domain, naming no one', async () => {
    await get(`/services/${serviceId}/domains`, other).expect(404);
    await post(`/services/${serviceId}/domains`, { domain: 'x.example.org' }, other).expect(404);
    const [mine] = (await get(`/services/${serviceId}/domains`).expect(200)).body as { id: string }[];
    await post(`/services/${serviceId}/domains/${mine?.id ?? ''}/verify`, {}, other).expect(404);
    await del(`/services/${serviceId}/domains/${mine?.id ?? ''}`, other).expect(404);
    const project = await post('/projects', { name: 'evil' }, other).expect(201);
    const theirs = await post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/m/web', port: 8080 }, other).expect(201);
    const res = await post(`/services/${theirs.body.id as string}/domains`, { domain: 'BLOG.example.org' }, other).expect(409);
    expect(JSON.stringify(res.body)).not.toMatch(/octocat|shop|web|[0-9a-f]{8}-/);
    expect(res.body.error.fields).toEqual({ domain: ['Already claimed.'] });
    await del(`/services/${serviceId}/domains/00000000-0000-4000-8000-000000000000`).expect(404);
    expect(await rows()).toEqual([{ domain: 'blog.example.org', status: 'pending' }]);
  });

  it('stays pending with what it found: no record, NXDOMAIN, a wrong value, a timeout; verifies on the right value', async () => {
    const [domain] = (await get(`/services/${serviceId}/domains`).expect(200)).body as { id: string; txtRecord: { value: string } }[];
    if (!domain) throw new Error('no domain');
    const verify = () => post(`/services/${serviceId}/domains/${domain.id}/verify`, {}).expect(200);
    const commits = (await t.commitSubjects()).length;

    // NXDOMAIN: the name does not exist at all.
    await dns.setRecords('example.org', []);
    expect((await verify()).body).toMatchObject({ status: 'pending', lastCheck: { outcome: 'nxdomain', found: [] } });

    // The name exists with no TXT record.
    await dns.setRecords('example.org', ['_dangus-challenge.blog IN A 127.0.0.1']);
    expect((await verify()).body).toMatchObject({ status: 'pending', lastCheck: { outcome: 'no_record', found: [] } });

    // A wrong value: what was found is shown.
    await dns.setRecords('example.org', ['_dangus-challenge.blog IN TXT "dangus-verify=someone-else"', '_dangus-challenge.blog IN TXT "v=spf1 -all"']);
    const wrong = await verify();
    expect(wrong.body).toMatchObject({ status: 'pending', lastCheck: { outcome: 'wrong_value' } });
    expect([...(wrong.body.lastCheck.found as string[])].sort()).toEqual(['dangus-verify=someone-else', 'v=spf1 -all']);
    expect(wrong.body.lastCheck.message).toMatch(/not the token/);

    // A DNS server that never answers: a timeout, still pending.
    const silent = await startSilentDns();
    const settings = t.ctx.domains;
    if (!settings) throw new Error('no domain settings');
    const saved = settings.dns;
    settings.dns = { servers: [silent.server], timeoutMs: 300 };
    try {
      expect((await verify()).body).toMatchObject({ status: 'pending', lastCheck: { outcome: 'timeout' } });
    } finally {
      settings.dns = saved;
      await silent.stop();
    }
    expect((await t.commitSubjects()).length).toBe(commits);

    // The token, split in two strings as long TXT values are: verified, and a commit.
    const [head, tail] = [domain.txtRecord.value.slice(0, 10), domain.txtRecord.value.slice(10)];
    await dns.setRecords('example.org', [`_dangus-challenge.blog IN TXT "${head}" "${tail}"`]);
    const ok = await verify();
    expect(ok.body).toMatchObject({ status: 'verified', lastCheck: { outcome: 'found' }, verifiedAt: expect.any(String) as unknown });
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): verify blog.example.org`);
    // Verified: the domain routes (its Ingress), with no certificate until it points at the platform.
    const routed = await git('show', `HEAD:tenants/${ns}/web/domain-blog.example.org.yaml`);
    expect(routed).toMatch(/kind: Ingress[\s\S]*- host: blog\.example\.org/);
    expect(routed).not.toMatch(/kind: Certificate|tls:/);
    expect(await git('show', `HEAD:tenants/${ns}/web/custom-domains.yaml`)).toMatch(/blog\.example\.org verified/);
  });

  it('the leading controller looks by itself on its schedule, and removal is a commit', async () => {
    const added = await post(`/services/${serviceId}/domains`, { domain: 'shop.example.net' }).expect(201);
    const id = added.body.id as string;
    await dns.setRecords('example.net', [`_dangus-challenge.shop IN TXT "${added.body.txtRecord.value as string}"`]);
    // Due now: the verified blog.example.org's routing check, which finds no address.
    expect(await t.controller.domains.pass()).toBe(1);
    const blog = ((await get(`/services/${serviceId}/domains`).expect(200)).body as { domain: string; routing: { ok: boolean; message: string } | null }[]).find((d) => d.domain === 'blog.example.org');
    expect(blog?.routing).toMatchObject({ ok: false, message: expect.stringMatching(/no A, AAAA or CNAME record/) as unknown });
    // Nothing else is due: the first look at shop.example.net is a minute after its add.
    expect(await t.controller.domains.pass()).toBe(0);
    await t.db.query(`UPDATE custom_domains SET next_check_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await t.controller.domains.pass()).toBe(1);
    const [row] = await t.db.query<{ status: string; checks: number }[]>(`SELECT status, checks FROM custom_domains WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'verified', checks: 1 });
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): verify shop.example.net`);
    await del(`/services/${serviceId}/domains/${id}`).expect(204);
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): remove shop.example.net`);
    // Removal prunes its Ingress from the state repo.
    expect(await git('ls-tree', '--name-only', `HEAD:tenants/${ns}/web/`)).not.toMatch(/shop\.example\.net/);
    expect(await rows()).toEqual([{ domain: 'blog.example.org', status: 'verified' }]);
  });

  it('keeps at most five domains per service', async () => {
    for (const name of ['a', 'b', 'c', 'd']) await post(`/services/${serviceId}/domains`, { domain: `${name}.example.net` }).expect(201);
    const res = await post(`/services/${serviceId}/domains`, { domain: 'e.example.net' }).expect(409);
    expect(res.body.error.message).toMatch(/at most 5/);
    expect((await rows()).length).toBe(5);
  });
});
