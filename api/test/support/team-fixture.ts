/**
 * A team as its users make it, through the API: `alice` creates team `acme` and invites
 * `bob` (maintainer), `dan` (developer) and `vic` (viewer) by GitHub login; each accepts.
 * `eve` is signed in, in no team. Alice's team project `shop` has a service `web` with one
 * env var whose value is SECRET, and a pending deployment from a signed push.
 */
import request from 'supertest';
import type { TeamRole } from '@dangus/common';
import { ORIGIN, type TestPlatform } from './platform.js';
import { deliveryHeaders, pushPayload } from './webhook-payloads.js';

export const SECRET = 'sk_live_5up3r-s3cret-VALUE';

export interface TeamFixture {
  cookies: Record<'alice' | 'bob' | 'dan' | 'vic' | 'eve', string>;
  userIds: Record<'alice' | 'bob' | 'dan' | 'vic' | 'eve', string>;
  teamId: string;
  teamHash: string;
  ids: { project: string; service: string; env: string; deployment: string };
}

export function as(t: TestPlatform, cookie: string) {
  const go = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, body?: object) => {
    const req = request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
    return body === undefined ? req : req.send(body);
  };
  return {
    get: (path: string) => go('get', path),
    post: (path: string, body: object = {}) => go('post', path, body),
    patch: (path: string, body: object) => go('patch', path, body),
    put: (path: string, body: object) => go('put', path, body),
    delete: (path: string) => go('delete', path),
  };
}

export async function invite(t: TestPlatform, ownerCookie: string, teamId: string, cookie: string, login: string, role: TeamRole): Promise<void> {
  const inv = await as(t, ownerCookie).post(`/teams/${teamId}/invitations`, { role, githubLogin: login }).expect(201);
  await as(t, cookie).post('/invitations/accept', { token: inv.body.token as string }).expect(200);
}

export async function makeTeam(t: TestPlatform): Promise<TeamFixture> {
  const logins = ['alice', 'bob', 'dan', 'vic', 'eve'] as const;
  const cookies = {} as TeamFixture['cookies'];
  const userIds = {} as TeamFixture['userIds'];
  for (const [i, login] of logins.entries()) {
    cookies[login] = await t.signIn(login, 2001 + i);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = $1`, [login]);
    userIds[login] = row?.id ?? '';
  }
  const alice = as(t, cookies.alice);
  const team = await alice.post('/teams', { name: 'Acme', slug: 'acme' }).expect(201);
  const teamId = team.body.id as string;
  await invite(t, cookies.alice, teamId, cookies.bob, 'bob', 'maintainer');
  await invite(t, cookies.alice, teamId, cookies.dan, 'dan', 'developer');
  await invite(t, cookies.alice, teamId, cookies.vic, 'vic', 'viewer');
  const project = (await alice.post('/projects', { name: 'shop', teamId }).expect(201)).body.id as string;
  const service = await alice.post(`/projects/${project}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 80 }).expect(201);
  const env = (await alice.post(`/services/${service.body.id as string}/env`, { key: 'STRIPE_KEY', value: SECRET }).expect(201)).body.id as string;
  const body = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main' }));
  const pushed = await request(t.app)
    .post(`/webhooks/github/${service.body.id as string}`)
    .set(deliveryHeaders(service.body.webhookSecret as string, body, 'push'))
    .send(body)
    .expect(202);
  return {
    cookies,
    userIds,
    teamId,
    teamHash: team.body.hash as string,
    ids: { project, service: service.body.id as string, env, deployment: pushed.body.deploymentId as string },
  };
}
