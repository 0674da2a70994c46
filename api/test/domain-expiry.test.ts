// A pending custom domain is not held forever: not verified within its 72 hours of checks,
// the leading controller releases it (expired, out of the render, a commit), the name is
// free for another claimant, and its owner sees why. Rows are dated back, not waited for.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DOMAIN_EXPIRED_MESSAGE } from '@dangus/common';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const exec = promisify(execFile);

describe('custom domain claims expire', () => {
  let t: TestPlatform;
  let owner: string;
  let other: string;
  let mineId = '';
  const post = (path: string, body: object, as: string) => request(t.app).post(`/api${path}`).set('Cookie', as).set('Origin', ORIGIN).send(body);
  const get = (path: string, as: string) => request(t.app).get(`/api${path}`).set('Cookie', as);
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;
  const serviceOf = async (as: string) => {
    const project = await post('/projects', { name: 'shop' }, as).expect(201);
    const service = await post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }, as).expect(201);
    return { id: service.body.id as string, ns: project.body.namespace as string };
  };
  const ageBy = (domain: string, hours: number) =>
    t.db.query(`UPDATE custom_domains SET created_at = now() - make_interval(hours => $2), next_check_at = NULL WHERE domain = $1 AND status = 'pending'`, [domain, hours]);

  beforeAll(async () => {
    t = await startTestPlatform({ BASE_DOMAIN: 'apps.test', DOMAIN_DNS_SERVERS: '127.0.0.1:9', DOMAIN_DNS_TIMEOUT_SECONDS: '1' });
    owner = await t.signIn('octocat', 4242);
    other = await t.signIn('mallory', 666);
  });
  afterAll(async () => {
    await t.close();
  });

  it('releases an unverified claim after 72 hours, frees the name, and tells the owner why', async () => {
    const mine = await serviceOf(owner);
    const theirs = await serviceOf(other);
    mineId = mine.id;
    const blog = await post(`/services/${mine.id}/domains`, { domain: 'blog.example.org' }, owner).expect(201);
    await post(`/services/${mine.id}/domains`, { domain: 'young.example.org' }, owner).expect(201);
    // Held: the other user cannot claim it, pending or not.
    await post(`/services/${theirs.id}/domains`, { domain: 'blog.example.org' }, other).expect(409);

    await ageBy('blog.example.org', 73);
    await ageBy('young.example.org', 71);
    expect(await t.controller.domains.pass()).toBe(1);

    const listed = (await get(`/services/${mine.id}/domains`, owner).expect(200)).body as { domain: string; status: string; nextCheckAt: string | null }[];
    expect(listed.map((d) => [d.domain, d.status, d.nextCheckAt])).toEqual([
      ['blog.example.org', 'expired', null],
      ['young.example.org', 'pending', null],
    ]);
    expect((await t.commitSubjects())[0]).toBe(`domain(${mine.ns}/web): release blog.example.org (not verified in 72 h)`);
    expect(await git('show', `HEAD:tenants/${mine.ns}/web/custom-domains.yaml`)).not.toMatch(/blog\.example\.org/);
    // Verifying a released claim says why, and looks at nothing.
    const verify = await post(`/services/${mine.id}/domains/${blog.body.id as string}/verify`, {}, owner).expect(409);
    expect(verify.body.error.message).toBe(DOMAIN_EXPIRED_MESSAGE);

    // The name is free: another claimant takes it; then the first owner cannot take it back.
    const taken = await post(`/services/${theirs.id}/domains`, { domain: 'blog.example.org' }, other).expect(201);
    expect(taken.body.status).toBe('pending');
    await post(`/services/${mine.id}/domains`, { domain: 'blog.example.org' }, owner).expect(409);
    // The owner's expired row stays to say why; a pass releases nothing more.
    expect(await t.controller.domains.pass()).toBe(0);
    const rows = await t.db.query<{ domain: string; status: string }[]>(`SELECT domain, status FROM custom_domains ORDER BY domain, status`);
    expect(rows).toEqual([
      { domain: 'blog.example.org', status: 'expired' },
      { domain: 'blog.example.org', status: 'pending' },
      { domain: 'young.example.org', status: 'pending' },
    ]);
  });

  it('lets the owner add a released name again, replacing the expired row', async () => {
    const id = mineId;
    await post(`/services/${id}/domains`, { domain: 'old.example.org' }, owner).expect(201);
    await ageBy('old.example.org', 80);
    expect(await t.controller.domains.pass()).toBe(1);
    const again = await post(`/services/${id}/domains`, { domain: 'old.example.org' }, owner).expect(201);
    expect(again.body.status).toBe('pending');
    const rows = await t.db.query<{ status: string }[]>(`SELECT status FROM custom_domains WHERE domain = 'old.example.org'`);
    expect(rows).toEqual([{ status: 'pending' }]);
  });
});
