/**
 * The service page in a real browser against the real api (started as `npm start` runs
 * it, or DANGUS_E2E_URL's): its tabs, each with its own address, and the environment
 * tab's `.env` paste (a preview by key, then one apply) and reveal (recorded, shown in
 * the history tab's activity).
 */
import { randomBytes } from 'node:crypto';
import type { EnvValueDto, EnvVarDto, ProjectDto, ServiceDto } from '@dangus/common';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { eventually, expectAttribute, expectCount, expectVisible, openBrowser, screenshot, textOf } from './browser.js';

let baseUrl = process.env.DANGUS_E2E_URL ?? '';

describe('the service page', () => {
  let browser: Browser;
  let api: ApiProcess | undefined;
  const url = (path: string) => new URL(path, baseUrl).toString();
  const origin = () => ({ Origin: new URL(baseUrl).origin });
  const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    if (!baseUrl) {
      api = await startApiProcess();
      baseUrl = api.origin;
    }
    ({ browser } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await api?.stop();
  });

  /** A fresh context signed in locally, with a project and a service of its own. */
  async function withService(): Promise<{ page: Page; pageErrors: string[]; service: ServiceDto; project: ProjectDto }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    expect((await page.request.post(url('/auth/local'), { headers: origin() })).status()).toBeLessThan(300);
    const project = (await (await page.request.post(url('/api/projects'), { headers: origin(), data: { name: unique('tabs') } })).json()) as ProjectDto;
    const created = await page.request.post(url(`/api/projects/${project.id}/services`), {
      headers: origin(),
      data: { name: unique('web'), repoUrl: 'https://github.com/octocat/hello-world', port: 8080 },
    });
    expect(created.status()).toBe(201);
    return { page, pageErrors, project, service: (await created.json()) as ServiceDto };
  }

  const tab = (page: Page, name: string) => page.getByRole('tablist', { name: 'Sections of this service' }).getByRole('tab', { name, exact: true });
  /** The text of the focused element when it is a tab (run in the page, as source: the e2e workspace has no DOM types). */
  const focusedTab = (page: Page) =>
    page.evaluate<string | null>(`(() => { const e = document.activeElement; return e && e.getAttribute('role') === 'tab' ? e.textContent : null; })()`);

  it('is in tabs, each with its own address, which reload, back and forward keep; arrows move between them', async () => {
    const { page, pageErrors, service, project } = await withService();
    await page.goto(url(`/services/${service.id}`));
    await expectVisible(page.getByRole('heading', { name: service.name, level: 1 }));
    await expectVisible(page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: project.name }));
    const names = await page.getByRole('tablist', { name: 'Sections of this service' }).getByRole('tab').allTextContents();
    expect(names).toEqual(['Overview', 'Deployments', 'Logs', 'Metrics', 'Environment', 'Settings', 'History']);
    await expectAttribute(tab(page, 'Overview'), 'aria-selected', 'true');
    const panel = page.getByRole('tabpanel', { name: 'Overview' });
    await expectVisible(panel.getByText(service.publicUrl));
    await screenshot(page, 'service');

    // A click opens the tab at its own address; only its panel is shown.
    await tab(page, 'Environment').click();
    await page.waitForURL(url(`/services/${service.id}/environment`));
    await expectAttribute(tab(page, 'Environment'), 'aria-selected', 'true');
    await expectVisible(page.getByRole('tabpanel', { name: 'Environment' }).getByRole('heading', { name: 'Environment variables' }));
    await expectCount(page.getByRole('tabpanel'), 1);
    await expectCount(page.getByRole('tabpanel').getByText(service.publicUrl), 0);

    // The keyboard: → opens the next tab and keeps the focus on it; End the last.
    await tab(page, 'Environment').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(url(`/services/${service.id}/settings`));
    await expectVisible(page.getByRole('tabpanel', { name: 'Settings' }).getByRole('heading', { name: 'Configuration' }));
    expect(await focusedTab(page)).toBe('Settings');
    await page.keyboard.press('End');
    await page.waitForURL(url(`/services/${service.id}/history`));
    expect(await focusedTab(page)).toBe('History');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(url(`/services/${service.id}`));
    expect(await focusedTab(page)).toBe('Overview');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(url(`/services/${service.id}/history`));

    // Reload keeps the tab; back and forward walk the tabs visited.
    await page.goto(url(`/services/${service.id}/settings`));
    await page.reload();
    await expectAttribute(tab(page, 'Settings'), 'aria-selected', 'true');
    await expectVisible(page.getByRole('heading', { name: 'Configuration' }));
    await page.goBack();
    await page.waitForURL(url(`/services/${service.id}/history`));
    await expectAttribute(tab(page, 'History'), 'aria-selected', 'true');
    await page.goForward();
    await page.waitForURL(url(`/services/${service.id}/settings`));
    await expectAttribute(tab(page, 'Settings'), 'aria-selected', 'true');

    // A tab that does not exist leads to the overview.
    await page.goto(url(`/services/${service.id}/nonsense`));
    await page.waitForURL(url(`/services/${service.id}`));
    await expectAttribute(tab(page, 'Overview'), 'aria-selected', 'true');
    expect(pageErrors).toEqual([]);
  });

  it('takes a pasted .env file: bad lines refused by number, then a preview by key, then one apply; a value revealed is recorded', async () => {
    const { page, pageErrors, service } = await withService();
    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    for (const [key, value] of [['API_KEY', 'old-key'], ['SAME', 'same'], ['KEEP', 'kept']]) {
      expect((await page.request.post(url(`/api/services/${service.id}/env`), { headers: origin(), data: { key, value } })).status()).toBe(201);
    }
    const listed = async () => ((await (await page.request.get(url(`/api/services/${service.id}/env`))).json()) as EnvVarDto[]).map((e) => e.key).sort();
    const valueOf = async (key: string) => {
      const env = ((await (await page.request.get(url(`/api/services/${service.id}/env`))).json()) as EnvVarDto[]).find((e) => e.key === key);
      return ((await (await page.request.post(url(`/api/services/${service.id}/env/${env?.id ?? ''}/reveal`), { headers: origin() })).json()) as EnvValueDto).value;
    };

    await page.goto(url(`/services/${service.id}/environment`));
    await page.getByRole('button', { name: 'Import .env' }).click();
    const text = page.getByLabel('Paste a .env file');
    await text.fill(['# from my laptop', `DATABASE_URL=postgres://app:${secret}@db/app`, 'this line is not a variable', 'API_KEY=new-key'].join('\n'));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await expectVisible(page.getByText('Line 3: not a variable: write KEY=value.'));
    await expectAttribute(text, 'aria-invalid', 'true');
    expect(await listed()).toEqual(['API_KEY', 'KEEP', 'SAME']);

    await text.fill(['# from my laptop', `DATABASE_URL="postgres://app:${secret}@db/app"`, 'export API_KEY=new-key', 'SAME=same'].join('\n'));
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const preview = page.getByRole('group', { name: 'What the import does' });
    await expectVisible(preview.getByRole('list', { name: 'Added' }).getByText('DATABASE_URL'));
    expect(await textOf(preview.getByRole('list', { name: 'Changed' }))).toBe('API_KEY');
    expect(await textOf(preview.getByRole('list', { name: 'Unchanged' }))).toBe('SAME');
    expect(await textOf(preview.getByRole('list', { name: 'Not in the file, kept as they are' }))).toBe('KEEP');
    // A preview writes nothing.
    expect(await listed()).toEqual(['API_KEY', 'KEEP', 'SAME']);
    expect(await valueOf('API_KEY')).toBe('old-key');
    await screenshot(page, 'service-env-import');

    await page.getByRole('button', { name: 'Apply 2 changes' }).click();
    await expectVisible(page.getByText('Imported: 1 added, 1 changed.'));
    await expectCount(page.getByLabel('Paste a .env file'), 0);
    const list = page.getByRole('list', { name: 'Environment variables' });
    await expectVisible(list.getByText('DATABASE_URL'));
    expect(await listed()).toEqual(['API_KEY', 'DATABASE_URL', 'KEEP', 'SAME']);
    expect(await valueOf('DATABASE_URL')).toBe(`postgres://app:${secret}@db/app`);
    expect(await valueOf('API_KEY')).toBe('new-key');
    expect(await valueOf('KEEP')).toBe('kept');
    expect(await textOf(page.getByRole('main'))).not.toContain(secret);

    // Reveal: the owner sees the value on demand, and the history tab's activity records it.
    await page.getByRole('button', { name: 'Reveal DATABASE_URL' }).click();
    await expectVisible(page.getByLabel('value of DATABASE_URL').getByText(`postgres://app:${secret}@db/app`));
    await page.getByRole('button', { name: 'Hide DATABASE_URL' }).click();
    await expectCount(page.getByText(secret), 0);
    await tab(page, 'History').click();
    const activity = page.getByRole('list', { name: 'Activity' });
    await eventually('the reveal in the activity', async () => ((await textOf(activity)).includes('revealed the value of DATABASE_URL') ? true : undefined));
    expect(pageErrors).toEqual([]);
  });
});
