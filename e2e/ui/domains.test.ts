/**
 * The custom domains panel (issue 34) in a real browser against the real api (started as
 * `npm start` runs it), its DNS checks pointed at a BIND the test controls on loopback:
 * a bad domain is refused in the field, a good one shows its TXT record to copy and stays
 * pending with what the platform found, verifies once the record is right, and is removed.
 */
import type { ProjectDto, ServiceDto } from '@dangus/common';
import { startTestDns, type TestDns } from '@dangus/api/test-support/test-dns';
import type { Browser } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectVisible, openBrowser, screenshot, textOf } from './browser.js';

describe('the custom domains panel', () => {
  let browser: Browser;
  let api: ApiProcess;
  let dns: TestDns;

  beforeAll(async () => {
    dns = await startTestDns(['example.com']);
    api = await startApiProcess({ DOMAIN_DNS_SERVERS: dns.server, DOMAIN_DNS_TIMEOUT_SECONDS: '1' });
    ({ browser } = await openBrowser());
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
    await dns.stop();
  });

  it('adds a domain, shows its TXT record and what was found, verifies it, removes it', async () => {
    const url = (path: string) => new URL(path, api.origin).toString();
    const origin = { Origin: new URL(api.origin).origin };
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    expect((await page.request.post(url('/auth/local'), { headers: origin })).status()).toBeLessThan(300);
    const project = (await (await page.request.post(url('/api/projects'), { headers: origin, data: { name: 'sites' } })).json()) as ProjectDto;
    const service = (await (
      await page.request.post(url(`/api/projects/${project.id}/services`), { headers: origin, data: { name: 'blog', repoUrl: 'https://github.com/octocat/hello-world', port: 8080 } })
    ).json()) as ServiceDto;

    await page.goto(url(`/services/${service.id}/settings`));
    const panel = page.locator('section#domains');
    await expectVisible(panel.getByText('No custom domain yet'));

    // A bad domain: the api's reason, in the field.
    await panel.getByLabel('Domain').fill('*.example.com');
    await panel.getByRole('button', { name: 'Add domain' }).click();
    await expectVisible(panel.getByText('Wildcard domains cannot be added'));

    // A good one, typed as people do: normalized, pending, with its TXT record.
    await panel.getByLabel('Domain').fill('WWW.Example.com.');
    await panel.getByRole('button', { name: 'Add domain' }).click();
    const row = panel.getByRole('listitem', { name: 'www.example.com' });
    await expectVisible(row.getByText('Pending verification'));
    await expectVisible(row.getByText('_dangus-challenge.www.example.com'));
    const [domain] = (await (await page.request.get(url(`/api/services/${service.id}/domains`))).json()) as { txtRecord: { value: string } }[];
    if (!domain) throw new Error('no domain');
    await expectVisible(row.getByText(domain.txtRecord.value));
    await expectVisible(row.getByRole('button', { name: 'Copy TXT record value' }));

    // A wrong value: still pending, and the panel says what it found.
    await dns.setRecords('example.com', ['_dangus-challenge.www IN TXT "left-over"']);
    await row.getByRole('button', { name: 'Verify now' }).click();
    await expectVisible(row.getByLabel('Last check').getByText('"left-over"', { exact: false }));
    await screenshot(page, 'domains-pending');

    // The right value: verified.
    await dns.setRecords('example.com', [`_dangus-challenge.www IN TXT "${domain.txtRecord.value}"`]);
    await row.getByRole('button', { name: 'Verify now' }).click();
    await expectVisible(row.getByText('Verified: point it here'));
    expect(await textOf(row)).not.toContain('Create this TXT record');
    await screenshot(page, 'domains-verified');

    await row.getByRole('button', { name: 'Remove' }).click();
    await expectVisible(panel.getByText('No custom domain yet'));
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
