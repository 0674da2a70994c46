/**
 * "Connect GitHub" in a real browser: the admin opens the System page, chooses their
 * personal account and clicks once; the browser posts the App manifest to (the fake)
 * GitHub, which creates the App and sends the browser back; the platform exchanges the code
 * and the System page shows the App. The api runs as its own process, as `npm start` does.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { createTestDatabase } from '@dangus/api/test-support/database';
import type { ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';
import { startGitHubApiWorld, type GitHubApiWorld } from './github-api-world.js';

describe('Connect GitHub on the System page', () => {
  let github: FakeGitHub;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess;
  let world: GitHubApiWorld;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let userContext: BrowserContext | undefined;
  const encryptionKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    world = await startGitHubApiWorld({ id: 1, login: 'operator' }, { ALLOWED_GITHUB_USERS: 'operator', ENCRYPTION_KEY: encryptionKey });
    ({ github, database, api } = world);
    ({ browser, page, pageErrors } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await userContext?.close();
    await browser.close();
    await world.stop();
  });

  it('creates the App in one click and shows it, its secrets stored encrypted', async () => {
    await page.goto(new URL('/sign-in', api.origin).toString());
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(page.getByRole('link', { name: 'System' }));
    await page.getByRole('link', { name: 'System' }).click();
    const form = page.getByRole('form', { name: 'Connect GitHub' });
    await expectVisible(form);
    await form.getByLabel('App name (optional)').fill('Dangus Test');
    await screenshot(page, 'github-app-connect');
    await form.getByRole('button', { name: 'Connect GitHub' }).click();

    await page.waitForURL(/\/system\?github=connected$/);
    await expectVisible(page.getByText('GitHub is connected'));
    await expectVisible(page.getByRole('link', { name: 'Dangus Test' }));
    await expectVisible(page.getByRole('link', { name: 'Install on an account or organization' }));
    await screenshot(page, 'github-app-connected');

    const [app] = [...github.app.apps.values()];
    expect(app?.manifest.hook_attributes).toEqual({ url: `${api.origin}/webhooks/github`, active: true });
    const rows = await database.dataSource.query<{ app_id: string; webhook_secret: string }[]>(`SELECT app_id::text, webhook_secret FROM github_app`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.app_id).toBe(String(app?.id));
    expect(rows[0]?.webhook_secret).toMatch(/^v1:k1:/);
    expect(rows[0]?.webhook_secret).not.toContain(app?.webhookSecret ?? '-');
    expect(pageErrors).toEqual([]);
  });

  it('shows an App push on the service page with "Redeliver", and a banner once the repository leaves the installation', async () => {
    const [app] = [...github.app.apps.values()];
    if (!app) throw new Error('no App');
    const hook = (delivery: { headers: Record<string, string>; body: string }) =>
      fetch(new URL('/webhooks/github', api.origin), { method: 'POST', headers: delivery.headers, body: delivery.body });
    const repo = github.app.addRepository('operator/site');
    const { installation, delivery } = github.app.install(app, { login: 'operator', id: 1, type: 'User' }, [repo]);
    expect((await hook(delivery)).status).toBe(200);

    const headers = { Origin: api.origin };
    const newService = async (on: Page, name: string): Promise<string> => {
      const project = await on.request.post(new URL('/api/projects', api.origin).toString(), { headers, data: { name } });
      expect(project.status()).toBe(201);
      const created = await on.request.post(new URL(`/api/projects/${(await project.json() as { id: string }).id}/services`, api.origin).toString(), {
        headers,
        data: { name: 'web', repoUrl: 'https://github.com/operator/site', port: 8080 },
      });
      expect(created.status()).toBe(201);
      return (await created.json() as { id: string }).id;
    };

    // The local admin has no GitHub identity: nothing shows GitHub they read the private
    // repository, so their service of it is not bound; Check access says why.
    const unbound = await newService(page, 'local');
    await page.goto(new URL(`/services/${unbound}/settings`, api.origin).toString());
    const access = page.locator('#repository-access');
    await expectVisible(access.getByText(/^The platform has not checked that you can read operator\/site/));
    await access.getByRole('button', { name: 'Check access' }).click();
    await expectVisible(access.getByRole('alert').filter({ hasText: 'operator/site is private (or does not exist) and your sign-in has no GitHub App token' }));
    await screenshot(page, 'github-app-check-access');

    // The repository's owner signs in with GitHub (through the App): their service binds.
    userContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const owner = await userContext.newPage();
    owner.setDefaultTimeout(15_000);
    owner.on('pageerror', (error) => pageErrors.push(error.message));
    await owner.goto(new URL('/sign-in', api.origin).toString());
    await owner.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await owner.waitForURL(new URL('/', api.origin).toString());
    const serviceId = await newService(owner, 'site');
    const pushed = github.app.push(app, repo, { ref: 'refs/heads/main' });
    expect((await hook(pushed)).status).toBe(200);

    await owner.goto(new URL(`/services/${serviceId}/deployments`, api.origin).toString());
    const deliveries = owner.getByRole('list', { name: 'Recent webhook deliveries' });
    await expectVisible(deliveries.getByText(/^push of [0-9a-f]{7} to branch "main"$/));
    await expectVisible(owner.getByText(/^Pushes to main arrive through the GitHub App: nothing to paste/));
    await deliveries.getByRole('button', { name: 'Redeliver' }).click();
    await expectVisible(deliveries.getByRole('button', { name: 'Redelivered' }));
    const original = github.app.hookDeliveries.find((d) => d.delivery.id === pushed.id && !d.redelivery);
    expect(github.app.redeliveries).toEqual([original?.id]);
    await screenshot(owner, 'github-app-redeliver');

    expect((await hook(github.app.changeRepositories(installation, { remove: [repo] }))).status).toBe(200);
    await owner.reload();
    const banner = owner.getByRole('alert').filter({ hasText: 'The GitHub App cannot read this repository' });
    await expectVisible(banner);
    await expectVisible(owner.getByText('A push to main builds and deploys this service.'));
    expect(await banner.textContent()).toContain('The GitHub App is not installed on operator/site');
    expect(await owner.getByRole('button', { name: 'Deploy now' }).isDisabled()).toBe(true);
    await screenshot(owner, 'github-app-not-installed');
    expect(pageErrors).toEqual([]);
  });
});
