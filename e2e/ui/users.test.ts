/**
 * The Users page in a real browser: a stranger signs in with (the fake) GitHub
 * and is refused with a clear message; the admin sees the request, allows it,
 * and the stranger gets in; then the admin blocks them and their page is signed
 * out. The api runs as its own process with the sign-in policy closed.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';
import { startGitHubApiWorld, type GitHubApiWorld } from './github-api-world.js';

describe('the Users page', () => {
  let api: ApiProcess;
  let world: GitHubApiWorld;
  let browser: Browser;
  let admin: Page;
  let strangerContext: BrowserContext;
  let stranger: Page;

  beforeAll(async () => {
    world = await startGitHubApiWorld({ id: 777, login: 'stranger' }, (fake) => ({ GITHUB_CLIENT_ID: fake.clientId, GITHUB_CLIENT_SECRET: fake.clientSecret }));
    ({ api } = world);
    ({ browser, page: admin } = await openBrowser());
    strangerContext = await browser.newContext();
    stranger = await strangerContext.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await world.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();

  it('a stranger signing in with GitHub is refused with a message, and the admin sees their request', async () => {
    // The local user of this machine is the admin.
    await admin.goto(url('/sign-in'));
    await admin.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(admin.getByRole('link', { name: 'Users' }));

    await stranger.goto(url('/sign-in'));
    await stranger.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await stranger.waitForURL(/\/sign-in\?refused=/);
    await expectVisible(stranger.getByText('@stranger is not allowed on this platform: ask its admin.'));
    await screenshot(stranger, 'sign-in-refused');

    await admin.getByRole('link', { name: 'Users' }).click();
    await expectVisible(admin.getByRole('heading', { name: 'Users', level: 1 }));
    await expectVisible(admin.getByText('@stranger'));
    await screenshot(admin, 'users');
  });

  it('when the admin allows the request, then the stranger signs in and sees only the Projects page', async () => {
    await admin.getByRole('button', { name: 'Allow' }).click();
    await expectVisible(admin.getByText('No one is waiting'));

    await stranger.goto(url('/sign-in'));
    await stranger.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await stranger.waitForURL(url('/'));
    await expectVisible(stranger.getByRole('heading', { name: 'Projects', level: 1 }));
    // A member has no System and no Users in the navigation.
    expect(await stranger.getByRole('link', { name: 'System' }).count()).toBe(0);
    expect(await stranger.getByRole('link', { name: 'Users' }).count()).toBe(0);
    // Typed in by hand, the page says it is for admins (and the api answers 403 behind it).
    await stranger.goto(url('/system'));
    await expectVisible(stranger.getByText("For the platform's admins"));
  });

  it('when the admin blocks them, then their next request finds the session gone and shows sign-in', async () => {
    await admin.reload();
    const row = admin.getByRole('row').filter({ hasText: '@stranger' });
    await expectVisible(row);
    await row.getByRole('button', { name: 'Block' }).click();
    await expectVisible(row.getByText('blocked'));

    await stranger.reload();
    await stranger.waitForURL(/\/sign-in/);
    await stranger.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await stranger.waitForURL(/\/sign-in\?refused=/);
    await expectVisible(stranger.getByText('@stranger is blocked on this platform: ask its admin.'));
  });
});
