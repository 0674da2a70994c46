// The HTTP-01 rate limit (issue 34): at most CERT_REQUESTS_PER_HOUR new certificates are
// asked for in any hour; a routed domain beyond it waits (no Certificate rendered, its
// owner told until when) and gets its certificate from the leading controller once a slot
// frees. Real platform, a BIND on loopback for the records, the api itself answering the
// HTTP reachability check on a loopback port (as the ingress would route it).
import { execFile } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startTestDns, type TestDns } from './support/test-dns.js';

const exec = promisify(execFile);
jest.setTimeout(120_000);

interface DomainBody {
  id: string;
  domain: string;
  status: string;
  txtRecord: { value: string };
  routing: { ok: boolean; message: string } | null;
  certificate: { state: string; message: string };
}

describe('certificate requests per hour', () => {
  let t: TestPlatform;
  let dns: TestDns;
  let ingress: Server;
  let handler: RequestListener = (_req, res) => res.end();
  let cookie: string;
  let serviceId: string;
  let ns: string;
  const post = (path: string, body: object = {}) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body);
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;
  const verify = async (id: string) => (await post(`/services/${serviceId}/domains/${id}/verify`).expect(200)).body as DomainBody;

  beforeAll(async () => {
    dns = await startTestDns(['example.org']);
    // The "ingress": a loopback port handing every request to the platform's app.
    ingress = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => ingress.listen(0, '127.0.0.1', resolve));
    const port = (ingress.address() as AddressInfo).port;
    t = await startTestPlatform({
      BASE_DOMAIN: 'apps.test',
      DOMAIN_DNS_SERVERS: dns.server,
      DOMAIN_DNS_TIMEOUT_SECONDS: '2',
      INGRESS_ADDRESSES: '127.0.0.1',
      DOMAIN_HTTP_CHECK_PORT: String(port),
      CERT_ISSUER: 'letsencrypt',
      CERT_REQUESTS_PER_HOUR: '1',
    });
    handler = t.app;
    cookie = await t.signIn('octocat', 4242);
    const project = await post('/projects', { name: 'shop' }).expect(201);
    ns = project.body.namespace as string;
    serviceId = (await post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201)).body.id as string;
  });
  afterAll(async () => {
    await t.close();
    await dns.stop();
    await new Promise((resolve) => ingress.close(resolve));
  });

  it('asks for one certificate in the hour, queues the next, and asks for it when a slot frees', async () => {
    const a = (await post(`/services/${serviceId}/domains`, { domain: 'a.example.org' }).expect(201)).body as DomainBody;
    const b = (await post(`/services/${serviceId}/domains`, { domain: 'b.example.org' }).expect(201)).body as DomainBody;
    await dns.setRecords('example.org', [
      `_dangus-challenge.a IN TXT "${a.txtRecord.value}"`,
      `_dangus-challenge.b IN TXT "${b.txtRecord.value}"`,
      'a IN A 127.0.0.1',
      'b IN A 127.0.0.1',
    ]);
    expect((await verify(a.id)).status).toBe('verified');
    expect((await verify(b.id)).status).toBe('verified');

    // a: routed, the hour's one certificate.
    const first = await verify(a.id);
    expect(first.routing?.ok).toBe(true);
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): certificate for a.example.org`);
    expect(await git('show', `HEAD:tenants/${ns}/web/domain-a.example.org.yaml`)).toMatch(/kind: Certificate/);

    // b: routed too, but queued: no Certificate, no commit, and the owner is told until when.
    const commits = (await t.commitSubjects()).length;
    const second = await verify(b.id);
    expect(second.routing?.ok).toBe(true);
    expect(second.certificate.state).toBe('waiting');
    expect(second.certificate.message).toMatch(/at most 1 new certificates an hour \(CERT_REQUESTS_PER_HOUR\); the next slot is at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect((await t.commitSubjects()).length).toBe(commits);
    expect(await git('show', `HEAD:tenants/${ns}/web/domain-b.example.org.yaml`)).not.toMatch(/kind: Certificate/);
    const [queued] = await t.db.query<{ next: boolean }[]>(`SELECT next_check_at > now() + interval '50 minutes' AS next FROM custom_domains WHERE domain = 'b.example.org'`);
    expect(queued?.next).toBe(true);

    // An hour later (a's request dated back), the leading controller asks for b's.
    await t.db.query(`UPDATE custom_domains SET certificate_requested_at = now() - interval '61 minutes' WHERE domain = 'a.example.org'`);
    await t.db.query(`UPDATE custom_domains SET next_check_at = now() - interval '1 second' WHERE domain = 'b.example.org'`);
    expect(await t.controller.domains.pass()).toBe(1);
    expect((await t.commitSubjects())[0]).toBe(`domain(${ns}/web): certificate for b.example.org`);
    expect(await git('show', `HEAD:tenants/${ns}/web/domain-b.example.org.yaml`)).toMatch(/kind: Certificate/);
    const [row] = await t.db.query<{ next_check_at: Date | null }[]>(`SELECT next_check_at FROM custom_domains WHERE domain = 'b.example.org'`);
    expect(row?.next_check_at).toBeNull();
  });
});
