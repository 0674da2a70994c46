/**
 * First-run setup in a real browser, against the api as it runs installed with the
 * installer's one-time link (only its hash configured): a foreign link says so, the real
 * one makes the person the admin and shows the next steps (Connect GitHub, the DNS
 * records, checked), and the same link in another browser is dead.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';

describe('first-run setup page', () => {
  const token = randomBytes(32).toString('base64url');
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    api = await startApiProcess({ SETUP_TOKEN_SHA256: createHash('sha256').update(token).digest('hex'), DNS_TARGET: '127.0.0.1', BASE_DOMAIN: 'apps.localhost' });
    ({ browser, page, pageErrors } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();

  it('turns the link into the admin once, then shows GitHub and DNS', async () => {
    await page.goto(url('/setup?token=forged'));
    await expectVisible(page.getByText('This setup link cannot be used'));
    await expectVisible(page.getByText('This is not a setup link of this platform.', { exact: false }));

    // Nobody signs in before the setup, not even locally.
    const local = await page.request.post(url('/auth/local'), { headers: { Origin: api.origin } });
    expect(local.status()).toBe(403);

    await page.goto(url(`/setup?token=${token}`));
    await page.getByRole('button', { name: 'Become the admin' }).click();
    await expectVisible(page.getByText('You are the admin'));
    await expectVisible(page.getByRole('link', { name: 'Connect GitHub' }));
    const wildcard = page.getByRole('row').filter({ hasText: '*.apps.localhost' });
    await expectVisible(wildcard);
    expect(await wildcard.first().getByRole('cell').allTextContents()).toEqual(['A', '*.apps.localhost', '127.0.0.1', 'resolves here']);
    await screenshot(page, 'first-run-setup');

    // The same link in another browser: dead, one clear page.
    const other = await browser.newPage();
    await other.goto(url(`/setup?token=${token}`));
    await expectVisible(other.getByText('This setup link was already used', { exact: false }));
    expect(await other.getByRole('button', { name: 'Become the admin' }).count()).toBe(0);
    await other.close();
    expect(pageErrors).toEqual([]);
  });
});
