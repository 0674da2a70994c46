/**
 * Teams in a real browser (issue 36): the owner (the local admin) creates a team from the
 * Teams page and makes an invitation link for a viewer; the viewer, signed in with (the
 * fake) GitHub, opens the link and joins. The members page shows each role, with the
 * owner's controls off for the viewer and the reason said; the team project's service
 * page is read-only for the viewer: its settings and env vars disabled, with the reason
 * naming the role, and Deploy now off.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';
import { startGitHubApiWorld, type GitHubApiWorld } from './github-api-world.js';

describe('teams in the browser', () => {
  let api: ApiProcess;
  let world: GitHubApiWorld;
  let browser: Browser;
  let owner: Page;
  let viewerContext: BrowserContext;
  let viewer: Page;
  let teamId = '';
  let serviceId = '';
  let projectId = '';

  beforeAll(async () => {
    world = await startGitHubApiWorld({ id: 4321, login: 'vic' }, (fake) => ({ ALLOWED_GITHUB_USERS: 'vic', GITHUB_CLIENT_ID: fake.clientId, GITHUB_CLIENT_SECRET: fake.clientSecret }));
    ({ api } = world);
    ({ browser, page: owner } = await openBrowser());
    viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    viewer = await viewerContext.newPage();
    viewer.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await world.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();
  const post = async (page: Page, path: string, data: object) => {
    const res = await page.request.post(url(path), { data, headers: { Origin: api.origin } });
    expect(res.status()).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };

  it('the owner creates a team and an invitation link; the viewer opens it and joins', async () => {
    await owner.goto(url('/sign-in'));
    await owner.getByRole('button', { name: 'Sign in locally' }).click();
    await owner.getByRole('link', { name: 'Teams' }).click();
    await expectVisible(owner.getByRole('heading', { name: 'Teams', level: 1 }));
    await owner.getByLabel('Team name').fill('Acme');
    await owner.getByLabel('Slug').fill('acme');
    await owner.getByRole('button', { name: 'Create team' }).click();
    await owner.getByRole('link', { name: 'Acme' }).click();
    await expectVisible(owner.getByRole('heading', { name: 'Acme', level: 1 }));
    teamId = owner.url().split('/').at(-1) ?? '';
    await owner.getByLabel('Role', { exact: true }).selectOption('viewer');
    await owner.getByRole('button', { name: 'Invite' }).click();
    const link = (await owner.getByText(/\/teams\?invite=/).textContent()) ?? '';
    expect(link).toContain('/teams?invite=');

    // A project and a service of the team, made through the api as the owner.
    const project = await post(owner, '/api/projects', { name: 'shop', teamId });
    const service = await post(owner, `/api/projects/${String(project.id)}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 80 });
    serviceId = String(service.id);
    projectId = String(project.id);
    await post(owner, `/api/services/${serviceId}/env`, { key: 'STRIPE_KEY', value: 'sk_live_browser_secret' });

    await viewer.goto(url('/sign-in'));
    await viewer.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await viewer.waitForURL(url('/'));
    await viewer.goto(link);
    await expectVisible(viewer.getByText('You joined Acme'));
    await expectVisible(viewer.getByRole('link', { name: 'Acme' }));
  });

  it('the members page shows the roles; a viewer sees the owner\'s controls off, with the reason', async () => {
    await owner.reload();
    await expectVisible(owner.getByText('@vic'));
    await screenshot(owner, 'team-members');
    await viewer.getByRole('link', { name: 'Acme' }).click();
    await expectVisible(viewer.getByText('Your role on this team is viewer: managing members needs owner.').first());
    expect(await viewer.getByLabel('Role of @vic').isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    await screenshot(viewer, 'team-members-viewer');
  });

  it('a viewer\'s service page is read-only: settings and env vars off, with the reason, no value shown', async () => {
    await viewer.goto(url(`/services/${serviceId}/settings`));
    await expectVisible(viewer.getByText('Read only'));
    await expectVisible(viewer.getByText('Your role on this project is viewer: changing services and env vars needs maintainer or above.').first());
    expect(await viewer.getByRole('button', { name: 'Edit', exact: true }).isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Delete service' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Deploy now' }).isDisabled()).toBe(true);
    await viewer.goto(url(`/services/${serviceId}/environment`));
    await expectVisible(viewer.getByText('STRIPE_KEY'));
    expect(await viewer.getByRole('button', { name: 'Add variable' }).isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Reveal' }).isDisabled()).toBe(true);
    expect(await viewer.content()).not.toContain('sk_live_browser_secret');
    await screenshot(viewer, 'service-viewer-read-only');
    // The owner's page has none of it.
    await owner.goto(url(`/services/${serviceId}/settings`));
    await expectVisible(owner.getByRole('button', { name: 'Edit', exact: true }));
    expect(await owner.getByRole('button', { name: 'Edit', exact: true }).isDisabled()).toBe(false);
    expect(await owner.getByText('Read only').count()).toBe(0);
    await expectVisible(owner.getByRole('button', { name: 'Delete service' }));
  });

  it('an owner gives a team viewer a wider role on one project from its Members section; it shows on both sides', async () => {
    await owner.goto(url(`/projects/${projectId}`));
    await expectVisible(owner.getByRole('heading', { name: 'Members' }));
    await expectVisible(owner.getByText('from the team').first());
    await owner.getByLabel('GitHub login').fill('vic');
    await owner.getByLabel('Role', { exact: true }).selectOption('developer');
    await owner.getByRole('button', { name: 'Give role' }).click();
    await expectVisible(owner.getByText('on this project (team: viewer)'));
    expect(await owner.getByLabel('Role of @vic on this project').inputValue()).toBe('developer');
    await screenshot(owner, 'project-members');
    // vic reads the project as a developer now; its Members section is read-only for her, with the reason.
    await viewer.goto(url(`/projects/${projectId}`));
    await expectVisible(viewer.getByText('Your role on this project is developer').first());
    await expectVisible(viewer.getByText('Your role on this project is developer: giving roles on it needs owner.'));
    expect(await viewer.getByLabel('Role of @vic on this project').isDisabled()).toBe(true);
    expect(await viewer.getByRole('button', { name: 'Give role' }).count()).toBe(0);
    // Taken away: back to the team's role.
    await owner.getByRole('button', { name: 'Remove' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expectVisible(owner.getByText('from the team').nth(1));
    expect(await owner.getByLabel('Role of @vic on this project').inputValue()).toBe('viewer');
  });

  it('an owner moves a personal project into the team, confirming with its name; its namespace stays and the team sees it', async () => {
    const solo = await post(owner, '/api/projects', { name: 'solo' });
    await owner.goto(url(`/projects/${String(solo.id)}`));
    await owner.getByRole('button', { name: 'Move project' }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Move to').selectOption({ label: 'Team Acme (acme)' });
    const move = dialog.getByRole('button', { name: 'Move', exact: true });
    expect(await move.isDisabled()).toBe(true);
    await dialog.getByRole('textbox').fill('solo');
    await screenshot(owner, 'project-move');
    await move.click();
    await dialog.waitFor({ state: 'hidden' });
    // The viewer of the team now finds it, under the same namespace.
    await viewer.goto(url(`/projects/${String(solo.id)}`));
    await expectVisible(viewer.getByText(String(solo.namespace)).first());
    await expectVisible(viewer.getByText('Your role on this project is viewer').first());
  });
});
