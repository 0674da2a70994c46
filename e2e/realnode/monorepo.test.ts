// Monorepos on a real node (issue 37): one repository with two apps, each a service built
// by the product's Kaniko Job from its own folder (its context, with a Dockerfile path
// relative to it), both answering through Traefik; a later push that touches only one app
// builds only that one, the other's delivery recorded as skipped.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import type { ServiceDto } from '@dangus/common';
import { BASE_DOMAIN, createProject, createService, eventually, startRealWorld, viaIngress, waitForStatus, type RealWorld } from './support.js';

const run = promisify(execFile);

/**
 * Writes `apps/{name}` of the monorepo: Debian's static busybox serving a CGI script that
 * prints the app's name, its version and the files of its build context (`COPY . /ctx/`),
 * with the Dockerfile at `dockerfile` inside the app's folder.
 */
async function writeApp(world: RealWorld, name: string, version: string, dockerfile: string): Promise<void> {
  const root = join(world.repo.work, 'apps', name);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'www', 'cgi-bin'), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const tool of ['sh', 'ls', 'tr']) await symlink('busybox', join(root, 'bin', tool));
  await writeFile(
    join(root, 'www', 'cgi-bin', 'app'),
    ['#!/bin/sh', 'echo "Content-Type: text/plain"', 'echo ""', `echo "app=${name} version=${version}"`, 'echo "context: $(ls /ctx | tr \'\\n\' \' \')"', ''].join('\n'),
    { mode: 0o755 },
  );
  await mkdir(join(root, ...dockerfile.split('/').slice(0, -1)), { recursive: true });
  await writeFile(
    join(root, dockerfile),
    ['FROM scratch', 'COPY bin/ /bin/', 'COPY www/ /www/', 'COPY . /ctx/', 'EXPOSE 8080', 'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]', ''].join('\n'),
  );
}

async function commit(world: RealWorld, message: string): Promise<{ before: string; after: string }> {
  const git = (...args: string[]) => run('git', ['-C', world.repo.work, ...args]);
  const before = (await git('rev-parse', '--verify', '--quiet', 'HEAD').catch(() => ({ stdout: '0'.repeat(40) }))).stdout.trim();
  await git('add', '-A');
  await git('-c', 'user.name=Octo Real', '-c', 'user.email=octo@example.test', 'commit', '--quiet', '-m', message);
  await git('push', '--quiet', world.repo.bare, 'HEAD:refs/heads/main');
  return { before, after: (await git('rev-parse', 'HEAD')).stdout.trim() };
}

/** The push GitHub sends for `before..after`, listing `files` as modified; the answer's status and body. */
async function deliver(world: RealWorld, service: ServiceDto & { repo: string }, change: { before: string; after: string }, files: string[]) {
  const payload = pushPayload({ repo: service.repo, ref: 'refs/heads/main', after: change.after, message: 'monorepo change' });
  const template = (payload.commits as Record<string, unknown>[])[0] ?? {};
  Object.assign(payload, { before: change.before, created: false, forced: false, commits: [{ ...template, id: change.after, added: [], removed: [], modified: files }] });
  const body = JSON.stringify(payload);
  const res = await request(world.platform.app).post(`/webhooks/github/${service.id}`).set(deliveryHeaders(service.webhookSecret, body, 'push')).send(body);
  return { status: res.status, body: res.body as { outcome: string; reason: string; deploymentId?: string } };
}

describe('a monorepo on a real node', () => {
  let world: RealWorld;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('builds two apps of one repository, each from its own folder, both answer; a change to one builds only that one', async () => {
    await writeApp(world, 'web', 'one', 'Dockerfile');
    await writeApp(world, 'api', 'one', 'docker/api.Dockerfile');
    await writeFile(join(world.repo.work, 'package-lock.json'), '{}\n');
    await writeFile(join(world.repo.work, 'README.md'), 'a monorepo\n');
    const first = await commit(world, 'two apps');

    const project = await createProject(world, 'mono');
    const web = await createService(world, project.id, { name: 'web', contextDir: 'apps/web', watchPaths: ['apps/web/**', 'package-lock.json'] });
    const api = await createService(world, project.id, {
      name: 'api',
      contextDir: 'apps/api',
      dockerfilePath: 'docker/api.Dockerfile',
      watchPaths: ['apps/api/**', 'package-lock.json'],
    });

    const files = ['apps/web/Dockerfile', 'apps/api/docker/api.Dockerfile', 'package-lock.json'];
    const pushed = await Promise.all([web, api].map((service) => deliver(world, service, first, files)));
    expect(pushed.map((answer) => answer.status)).toEqual([202, 202]);
    await Promise.all(pushed.map((answer) => waitForStatus(world, String(answer.body.deploymentId), 'live')));

    // Each answers with its own name, built from its own folder only: the context holds the
    // app's files, not the other app's nor the repository's root files.
    for (const [service, name, context] of [
      [web, 'web', 'Dockerfile bin www'],
      [api, 'api', 'bin docker www'],
    ] as const) {
      const host = `${service.subdomain}.${BASE_DOMAIN}`;
      const answer = await eventually(`${name} through Traefik`, async () => {
        const res = await viaIngress(world, host, '/cgi-bin/app');
        return res.status === 200 ? res.body : undefined;
      }, 120_000);
      expect(answer).toBe(`app=${name} version=one\ncontext: ${context} \n`);
    }

    // A change to the api only: the api builds, the web's delivery is skipped with the reason.
    await writeApp(world, 'api', 'two', 'docker/api.Dockerfile');
    const second = await commit(world, 'api two');
    const [webAnswer, apiAnswer] = await Promise.all([web, api].map((service) => deliver(world, service, second, ['apps/api/www/cgi-bin/app'])));
    expect(webAnswer).toEqual({
      status: 200,
      body: { outcome: 'skipped', reason: 'no changed file matches `apps/web/**`, `package-lock.json` (1 file changed, from the push payload)' },
    });
    expect(apiAnswer?.status).toBe(202);
    await waitForStatus(world, String(apiAnswer?.body.deploymentId), 'live');
    const two = await eventually('the api\'s second version', async () => {
      const res = await viaIngress(world, `${api.subdomain}.${BASE_DOMAIN}`, '/cgi-bin/app');
      return res.body.includes('version=two') ? res.body : undefined;
    }, 120_000);
    expect(two).toBe('app=api version=two\ncontext: bin docker www \n');
    expect((await viaIngress(world, `${web.subdomain}.${BASE_DOMAIN}`, '/cgi-bin/app')).body).toBe('app=web version=one\ncontext: Dockerfile bin www \n');
    const deliveries = await request(world.platform.app).get(`/api/services/${web.id}/webhook-deliveries`).set({ Origin: ORIGIN, Cookie: world.cookie }).expect(200);
    expect((deliveries.body as { outcome: string }[]).map((d) => d.outcome)).toEqual(['skipped', 'deployed']);

    // "Deploy now" ignores watch paths: it builds the branch's head for the web too.
    world.github.branches.set(`${web.repo}#main`, { sha: second.after, message: 'api two' });
    const manual = await request(world.platform.app).post(`/api/services/${web.id}/deploy`).set({ Origin: ORIGIN, Cookie: world.cookie }).expect(202);
    expect(manual.body).toMatchObject({ commitSha: second.after, trigger: 'manual' });
    await waitForStatus(world, (manual.body as { id: string }).id, 'live');
  }, 900_000);
});
