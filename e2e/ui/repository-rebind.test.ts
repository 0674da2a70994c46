/**
 * A repository binding that loses its proof, as a browser shows it: a GitHub user with a
 * maintainer's role on the admin's project binds their private repository to a service of
 * it; the admin blocks them; the platform asks again who may still show GitHub they read
 * it, finds nobody (the local admin has no GitHub token), and clears the binding. The
 * service's History tab says so, in words, and its Settings say "Check access". The api runs
 * as its own process, as `npm start` does (docs/architecture.md#github-app).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { createTestDatabase } from '@dangus/api/test-support/database';
import type { ApiProcess } from '../support/api-process.js';
import { eventually, expectVisible, openBrowser, screenshot, textOf } from './browser.js';
import { startGitHubApiWorld, type GitHubApiWorld } from './github-api-world.js';

describe('a repository binding cleared once its prover is blocked', () => {
  let github: FakeGitHub;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess;
  let world: GitHubApiWorld;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let userContext: BrowserContext | undefined;

  beforeAll(async () => {
    world = await startGitHubApiWorld({ id: 1, login: 'operator' }, { ALLOWED_GITHUB_USERS: 'operator' });
    ({ github, database, api } = world);
    ({ browser, page, pageErrors } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await userContext?.close();
    await browser.close();
    await world.stop();
  });

  it('shows the clearing in the service\'s activity and asks for "Check access"', async () => {
    const at = (path: string) => new URL(path, api.origin).toString();
    const headers = { Origin: api.origin };
    // The local admin connects the App; it is installed on operator's account with their private repository.
    await page.goto(at('/sign-in'));
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(page.getByRole('link', { name: 'System' }));
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('form', { name: 'Connect GitHub' }).getByRole('button', { name: 'Connect GitHub' }).click();
    await page.waitForURL(/\/system\?github=connected$/);
    const [app] = [...github.app.apps.values()];
    if (!app) throw new Error('no App');
    const repo = github.app.addRepository('operator/site');
    const { delivery } = github.app.install(app, { login: 'operator', id: 1, type: 'User' }, [repo]);
    expect((await fetch(at('/webhooks/github'), { method: 'POST', headers: delivery.headers, body: delivery.body })).status).toBe(200);

    // Operator signs in with GitHub (through the App); the admin makes them a maintainer of the project.
    userContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const operator = await userContext.newPage();
    operator.setDefaultTimeout(15_000);
    operator.on('pageerror', (error) => pageErrors.push(error.message));
    await operator.goto(at('/sign-in'));
    await operator.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await operator.waitForURL(at('/'));
    const project = await page.request.post(at('/api/projects'), { headers, data: { name: 'shop' } });
    expect(project.status()).toBe(201);
    const projectId = (await project.json() as { id: string }).id;
    expect((await page.request.put(at(`/api/projects/${projectId}/members/operator`), { headers, data: { role: 'maintainer' } })).status()).toBe(200);
    // Their service of their private repository: bound, their own token having shown they read it.
    const created = await operator.request.post(at(`/api/projects/${projectId}/services`), { headers, data: { name: 'web', repoUrl: 'https://github.com/operator/site', port: 8080 } });
    expect(created.status()).toBe(201);
    const serviceId = (await created.json() as { id: string }).id;
    const bound = async () => (await database.dataSource.query<{ id: string | null }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = $1`, [serviceId]))[0]?.id ?? null;
    expect(await bound()).toBe(String(repo.id));

    // The admin blocks operator: nobody left who may change the service shows GitHub they read it.
    const users = (await (await page.request.get(at('/api/admin/users'))).json()) as { id: string; githubUsername: string }[];
    const operatorId = users.find((u) => u.githubUsername === 'operator')?.id ?? '';
    expect((await page.request.post(at(`/api/admin/users/${operatorId}/block`), { headers })).status()).toBe(200);
    await eventually('the binding cleared', async () => ((await bound()) === null ? true : undefined));

    await page.goto(at(`/services/${serviceId}/history`));
    const activity = page.getByRole('list', { name: 'Activity' });
    const said = await eventually('the clearing in the activity', async () => {
      const text = await textOf(activity);
      return text.includes('unbound the repository: ') ? text : undefined;
    });
    // The actor is the platform itself, its sentence the reason in words.
    await expectVisible(activity.getByText('platform', { exact: true }));
    expect(said).toContain('operator/site: @operator, who showed access to it, may no longer change this service');
    expect(said).toContain('It is not built until one chooses "Check access".');
    await screenshot(page, 'repository-binding-cleared');
    await page.goto(at(`/services/${serviceId}/settings`));
    await expectVisible(page.locator('#repository-access').getByText(/^The platform has not checked that you can read operator\/site/));
    expect(pageErrors).toEqual([]);
  });
});
