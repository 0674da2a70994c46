/**
 * "New service" through the GitHub App in a real browser: without an App the form is the
 * URL form with a hint for the admin; the admin connects the App; a user installs it on their
 * account, signs in with GitHub, searches their repositories, picks a private one and a branch
 * with the keyboard, gets a name suggested, and creates the service, whose row holds the
 * repository. The api runs as its own process, as `npm start` does; GitHub is the fake.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { createTestDatabase } from '@dangus/api/test-support/database';
import type { ApiProcess } from '../support/api-process.js';
import { expectAttribute, expectCount, expectVisible, openBrowser, screenshot, textOf } from './browser.js';
import { startGitHubApiWorld, type GitHubApiWorld } from './github-api-world.js';

describe('the repository picker of "New service"', () => {
  let github: FakeGitHub;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess;
  let world: GitHubApiWorld;
  let browser: Browser;
  let admin: Page;
  let pageErrors: string[];
  let userContext: BrowserContext;
  let user: Page;

  beforeAll(async () => {
    world = await startGitHubApiWorld({ id: 1, login: 'operator' }, { ALLOWED_GITHUB_USERS: 'octocat' });
    ({ github, database, api } = world);
    ({ browser, page: admin, pageErrors } = await openBrowser());
    userContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    user = await userContext.newPage();
    user.setDefaultTimeout(15_000);
    user.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await world.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();

  async function newProject(page: Page, name: string): Promise<void> {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'New project' }).first().click();
    await page.getByLabel('Project name').fill(name);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    await page.getByRole('link', { name: 'Add service' }).first().click();
    await page.waitForURL(/\/services\/new$/);
  }

  it('without an App, the form asks for a URL and tells the admin where to connect GitHub', async () => {
    await admin.goto(url('/sign-in'));
    await admin.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(admin.getByRole('link', { name: 'System' }));
    await newProject(admin, 'tools');
    await expectVisible(admin.getByLabel('GitHub repository URL'));
    const hint = admin.getByText('on the System page to pick repositories from a list');
    await expectVisible(hint);
    expect(await admin.getByRole('link', { name: 'Connect GitHub' }).getAttribute('href')).toBe('/system');
    expect(await admin.getByRole('combobox', { name: 'Repository' }).count()).toBe(0);
    await screenshot(admin, 'new-service-without-app');

    // The admin connects the App from the System page, in one click.
    await admin.getByRole('link', { name: 'Connect GitHub' }).click();
    await admin.getByRole('form', { name: 'Connect GitHub' }).getByRole('button', { name: 'Connect GitHub' }).click();
    await admin.waitForURL(/\/system\?github=connected$/);
    await expectVisible(admin.getByText('GitHub is connected'));
  });

  it('a user who installed the App picks a private repository and a branch, and the service stores it', async () => {
    const [app] = [...github.app.apps.values()];
    if (!app) throw new Error('no App');
    const repository = github.app.addRepository('octocat/hello-web', { defaultBranch: 'main' });
    github.app.addRepository('octocat/hello-docs', { private: false });
    github.app.addRepository('octocat/notes');
    github.app.addRepository('acme/payroll'); // an organization the user is not in
    for (const [name, sha] of [['main', 'a'], ['develop', 'b'], ['feature/login', 'c']] as const) {
      github.branches.set(`octocat/hello-web#${name}`, { sha: sha.repeat(40), message: name });
    }
    // The user installs the App on their account ("all repositories"); GitHub tells the platform.
    const { delivery } = github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, 'all');
    const told = await fetch(url('/webhooks/github'), { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(told.status).toBe(200);
    github.app.install(app, { login: 'acme', id: 77, type: 'Organization' }, 'all');

    github.user = { id: 4242, login: 'octocat' };
    await user.goto(url('/sign-in'));
    await user.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await user.waitForURL(url('/'));
    await newProject(user, 'shop');

    // Search as you type, then pick with the keyboard.
    const picker = user.getByRole('combobox', { name: 'Repository' });
    await expectVisible(picker);
    await picker.click();
    const list = user.getByRole('listbox', { name: 'Your repositories' });
    await expectVisible(list.getByRole('option', { name: /octocat\/notes/ }));
    expect(await list.getByRole('option').allTextContents()).toEqual([
      'octocat/hello-docsAccount octocat',
      'octocat/hello-webAccount octocatPrivate',
      'octocat/notesAccount octocatPrivate',
    ]);
    await picker.fill('hel web');
    const option = list.getByRole('option');
    await expectAttribute(option.first(), 'aria-selected', 'true');
    expect(await option.count()).toBe(1);
    expect(await textOf(option)).toBe('octocat/hello-webAccount octocatPrivate');
    await screenshot(user, 'new-service-pick-repository');
    await picker.press('Enter');
    await expectAttribute(picker, 'aria-expanded', 'false');
    expect(await picker.inputValue()).toBe('octocat/hello-web');
    await expectVisible(user.getByText('through the GitHub App on account octocat'));

    // The name is suggested from the repository, the default branch preselected.
    expect(await user.getByLabel('Service name').inputValue()).toBe('hello-web');
    const branch = user.getByRole('combobox', { name: 'Branch' });
    expect(await branch.inputValue()).toBe('main');
    await branch.click();
    const branches = user.getByRole('listbox', { name: 'Branches of octocat/hello-web' });
    await expectVisible(branches.getByRole('option', { name: 'develop' }));
    expect(await branches.getByRole('option').allTextContents()).toEqual(['maindefault', 'develop', 'feature/login']);
    await screenshot(user, 'new-service-pick-branch');
    await branch.press('ArrowDown');
    await branch.press('ArrowDown');
    await expectAttribute(branches.getByRole('option').nth(1), 'aria-selected', 'true');
    expect(await branch.getAttribute('aria-activedescendant')).toBe(await branches.getByRole('option').nth(1).getAttribute('id'));
    await branch.press('Enter');
    expect(await branch.inputValue()).toBe('develop');

    const install = user.getByRole('link', { name: 'Install on another account' });
    expect(await install.getAttribute('href')).toBe(`${github.url}/apps/${app.slug}/installations/new`);
    await user.getByLabel('Container port').fill('8080');
    await screenshot(user, 'new-service-picked');
    await user.getByRole('button', { name: 'Create service' }).click();
    await user.waitForURL(/\/services\/[0-9a-f-]{36}$/);
    await expectVisible(user.getByRole('heading', { name: 'hello-web', level: 1 }));

    const rows = await database.dataSource.query<{ name: string; repo_url: string; branch: string; github_repository_id?: string | null }[]>(
      `SELECT s.* FROM services s JOIN projects p ON p.id = s.project_id WHERE p.name = 'shop'`,
    );
    expect(rows.map((r) => [r.name, r.repo_url, r.branch])).toEqual([['hello-web', 'https://github.com/octocat/hello-web', 'develop']]);
    // GitHub's repository id, once services have the column (issue 29's other half).
    if (rows[0] && 'github_repository_id' in rows[0]) expect(String(rows[0].github_repository_id)).toBe(String(repository.id));
    expect(pageErrors).toEqual([]);
  });

  it('keeps typing a URL by hand possible, and suggests a name that is not taken', async () => {
    await user.getByRole('link', { name: 'shop' }).first().click();
    await user.getByRole('link', { name: 'Add service' }).first().click();
    const picker = user.getByRole('combobox', { name: 'Repository' });
    await picker.fill('nothing-like-this');
    await expectVisible(user.getByText('No repository matches "nothing-like-this".'));
    await picker.fill('hello-web');
    await picker.press('ArrowDown');
    await picker.press('Enter');
    // "hello-web" is the project's already.
    expect(await user.getByLabel('Service name').inputValue()).toBe('hello-web-2');

    await user.getByRole('button', { name: 'Enter a repository URL instead' }).click();
    const byHand = user.getByLabel('GitHub repository URL');
    expect(await byHand.inputValue()).toBe('https://github.com/octocat/hello-web');
    await byHand.fill('https://github.com/someone/elsewhere');
    // Outside the App: the branch is typed.
    const branch = user.getByLabel('Branch');
    expect(await branch.getAttribute('role')).toBeNull();
    await branch.fill('trunk');
    await user.getByLabel('Service name').fill('elsewhere');
    await user.getByLabel('Container port').fill('3000');
    await user.getByRole('button', { name: 'Create service' }).click();
    await user.waitForURL(/\/services\/[0-9a-f-]{36}$/);
    const [row] = await database.dataSource.query<{ repo_url: string; branch: string }[]>(`SELECT repo_url, branch FROM services WHERE name = 'elsewhere'`);
    expect(row).toEqual({ repo_url: 'https://github.com/someone/elsewhere', branch: 'trunk' });
    expect(pageErrors).toEqual([]);
  });

  it('the admin sees the App webhook\'s deliveries and has GitHub send one again', async () => {
    await admin.goto(url('/system'));
    const list = admin.getByRole('list', { name: 'App webhook deliveries' });
    const created = list.getByRole('listitem').filter({ hasText: 'installation.created' });
    await expectVisible(created);
    expect(await textOf(created)).toContain('installation created');
    const [app] = [...github.app.apps.values()];
    const logged = github.app.hookDeliveries.find((d) => d.action === 'created' && d.delivery.event === 'installation' && d.installationId !== null);
    if (!app || !logged) throw new Error('no delivery');
    await screenshot(admin, 'github-app-deliveries');
    await created.getByRole('button', { name: /^Redeliver/ }).first().click();
    await expectVisible(admin.getByText(`GitHub is sending delivery ${logged.delivery.id} again`));
    expect(github.app.redeliveries).toEqual([logged.id]);
    // GitHub sends it again (same GUID), and the list shows it once refreshed.
    const again = await fetch(url('/webhooks/github'), { method: 'POST', headers: logged.delivery.headers, body: logged.delivery.body });
    expect(again.status).toBe(200);
    await admin.getByRole('button', { name: 'Refresh' }).click();
    await expectCount(list.getByRole('listitem').filter({ hasText: 'installation.created' }), 2);
    expect(pageErrors).toEqual([]);
  });
});
