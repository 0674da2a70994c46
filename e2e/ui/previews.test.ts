/**
 * Previews on the service page in a real browser against the real api (issue 35): a pull
 * request delivered on the service's own webhook (signed with its secret, as GitHub signs)
 * waits for an approval (without the GitHub App nobody's write access can be read), the
 * owner approves it, then tears it down; the list shows state, commit, URL and time left.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { PreviewDto, ProjectDto, ServiceDto } from '@dangus/common';
import type { Browser } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';

let baseUrl = process.env.DANGUS_E2E_URL ?? '';

describe('previews on the service page', () => {
  let browser: Browser;
  let api: ApiProcess | undefined;
  const url = (path: string) => new URL(path, baseUrl).toString();
  const origin = () => ({ Origin: new URL(baseUrl).origin });

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

  it('lists a pull request waiting for approval, approves it, and tears it down', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    expect((await page.request.post(url('/auth/local'), { headers: origin() })).status()).toBeLessThan(300);
    const project = (await (await page.request.post(url('/api/projects'), { headers: origin(), data: { name: `pv-${randomBytes(3).toString('hex')}` } })).json()) as ProjectDto;
    const repo = `octocat/pv${randomBytes(3).toString('hex')}`;
    const created = await page.request.post(url(`/api/projects/${project.id}/services`), {
      headers: origin(),
      data: { name: 'web', repoUrl: `https://github.com/${repo}`, port: 8080 },
    });
    expect(created.status()).toBe(201);
    const service = (await created.json()) as ServiceDto;
    expect((await page.request.patch(url(`/api/services/${service.id}`), { headers: origin(), data: { previews: { enabled: true } } })).status()).toBe(200);

    const sha = randomBytes(20).toString('hex');
    const body = JSON.stringify({
      action: 'opened',
      number: 7,
      pull_request: {
        title: 'Add a dark theme',
        state: 'open',
        updated_at: new Date().toISOString(),
        user: { login: 'contributor' },
        head: { sha, ref: 'dark-theme', repo: { id: 2, full_name: 'contributor/fork' } },
        base: { ref: 'main', repo: { id: 1, full_name: repo } },
      },
      sender: { login: 'contributor' },
    });
    const delivered = await page.request.post(url(`/webhooks/github/${service.id}`), {
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', service.webhookSecret).update(body).digest('hex')}`,
      },
      data: body,
    });
    expect(delivered.status()).toBe(200);

    await page.goto(url(`/services/${service.id}/deployments`));
    const list = page.getByRole('list', { name: 'Previews' });
    const item = list.getByRole('listitem', { name: 'Pull request #7' });
    await expectVisible(item.getByText('Waiting for approval'));
    await expectVisible(item.getByText('Add a dark theme'));
    await expectVisible(item.getByText(sha.slice(0, 7)));
    await expectVisible(item.getByText('fork', { exact: true }));
    await expectVisible(item.getByText(/7 days left/));
    await screenshot(page, 'previews');

    // The env keys its previews are seeded from: a bad name is refused on the field, a key the service lacks is shown as missing.
    const seedKeys = page.getByLabel('Env keys copied into previews');
    await seedKeys.fill('API_BASE, 1BAD');
    await page.getByRole('button', { name: 'Save keys' }).click();
    await expectVisible(page.getByText('Use letters, digits and "_", not starting with a digit.'));
    await seedKeys.fill('API_BASE, NOT_SET');
    await page.getByRole('button', { name: 'Save keys' }).click();
    await expectVisible(page.getByText('Not set on this service: API_BASE, NOT_SET.'));
    const stored = (await (await page.request.get(url(`/api/services/${service.id}`))).json()) as ServiceDto;
    expect(stored.previews.seedKeys).toEqual(['API_BASE', 'NOT_SET']);

    await item.getByRole('button', { name: 'Approve' }).click();
    await expectVisible(item.getByText('Building'));
    const previews = async () => (await (await page.request.get(url(`/api/services/${service.id}/previews`))).json()) as PreviewDto[];
    expect((await previews())[0]).toMatchObject({ state: 'pending', approvedBy: expect.any(String) });
    await expectVisible(item.getByRole('link', { name: /web-pr7-/ }));
    // Its build log's page (the pull request's comment links there): no build has started without a cluster.
    await item.getByRole('link', { name: 'Build log' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Preview of #7' }));
    expect(new URL(page.url()).pathname).toBe(`/services/${service.id}/previews/7`);
    await expectVisible(page.getByText('No build of this pull request has started yet'));
    await page.goBack();

    await item.getByRole('button', { name: 'Tear down' }).click();
    await expectVisible(item.getByText('Torn down'));
    expect((await previews())[0]).toMatchObject({ state: 'closed' });
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
