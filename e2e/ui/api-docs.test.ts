/**
 * The API page in a real browser, against the api as `npm start` runs it: the page's code
 * is not part of the first page (it loads when the page is opened), and it shows the api's
 * own OpenAPI document (GET /api/openapi.json) as operations grouped by tag.
 */
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectCount, expectVisible, openBrowser, screenshot } from './browser.js';

describe('the API page', () => {
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const scripts: string[] = [];

  beforeAll(async () => {
    api = await startApiProcess();
    ({ browser, page, pageErrors } = await openBrowser());
    page.on('request', (req) => {
      if (req.resourceType() === 'script') scripts.push(new URL(req.url()).pathname);
    });
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();

  it("loads its code only when opened, and lists the api's operations by tag", async () => {
    await page.goto(url('/sign-in'));
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    const chunk = (path: string) => /\/assets\/api-docs-page-[^/]+\.js$/.test(path);
    expect(scripts.filter(chunk)).toEqual([]);

    await page.getByRole('link', { name: 'API', exact: true }).click();
    await page.waitForURL(url('/docs/api'));
    await expectVisible(page.getByRole('heading', { name: 'API', level: 1 }));
    expect(scripts.filter(chunk)).toHaveLength(1);

    // The document's tags are the page's sections; each operation a row of method, path and summary.
    for (const tag of ['Projects', 'Services', 'Environment', 'Deployments', 'Admin', 'Auth', 'Webhooks']) {
      await expectVisible(page.getByRole('heading', { name: tag, level: 2 }));
    }
    const projects = page.locator('section#tag-projects [data-testid="api-operation"]');
    await expectCount(projects.filter({ has: page.locator('code', { hasText: /^\/api\/projects$/ }) }), 2);
    await expectVisible(projects.filter({ hasText: 'Your projects' }).getByText('GET', { exact: true }));
    const documented = (await (await page.request.get(url('/api/openapi.json'))).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(documented.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    await expectCount(page.getByTestId('api-operation'), operations);
    await screenshot(page, 'api-docs');

    // An operation opens on its parameters, body and answers, errors included.
    const create = page.getByTestId('api-operation').filter({ hasText: 'Create a service' });
    await create.locator('summary').click();
    await expectVisible(create.getByText('CreateService'));
    await expectVisible(create.getByRole('row').filter({ hasText: /^201\s*Service/ }));
    await expectVisible(create.getByRole('row').filter({ hasText: 'No such object, or another user' }));

    // The filter keeps the operations whose words match.
    await page.getByRole('searchbox', { name: 'Filter operations' }).fill('rollback');
    await expectCount(page.getByTestId('api-operation'), 2);
    expect(pageErrors).toEqual([]);
  });
});
