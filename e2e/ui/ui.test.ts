/**
 * The web UI in a real browser (Debian's Chromium driven by playwright-core)
 * against the real api, started here as `npm start` runs it (or the one at
 * DANGUS_E2E_URL, with local sign-in on). Screenshots of each page go to
 * DANGUS_SCREENSHOT_DIR when it is set.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectAttribute, expectCount, expectVisible, openBrowser, screenshot } from './browser.js';

let baseUrl = process.env.DANGUS_E2E_URL ?? '';

describe('the web UI against the real api', () => {
  let browser: Browser;
  let page: Page;
  const suffix = randomBytes(3).toString('hex');
  const projectName = `e2e-${suffix}`;
  const serviceName = `web-${suffix}`;
  let pageErrors: string[] = [];

  const url = (path: string) => new URL(path, baseUrl).toString();
  const shot = (name: string) => screenshot(page, name);

  let api: ApiProcess | undefined;

  beforeAll(async () => {
    if (!baseUrl) {
      api = await startApiProcess();
      baseUrl = api.origin;
    }
    ({ browser, page, pageErrors } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await browser.close();
    await api?.stop();
  });

  it('when not signed in, then the sign-in page offers local sign-in, which lands on the dashboard', async () => {
    await page.goto(url('/'));
    await page.waitForURL(/\/sign-in$/);
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await page.waitForURL(url('/'));
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
  });

  it('when a project name is typed, then it is checked as typed and shows its namespace', async () => {
    await page.getByRole('button', { name: 'New project' }).first().click();
    const name = page.getByLabel('Project name');
    await name.fill('Bad_Name');
    await expectVisible(page.getByText('Use lowercase letters and digits, starting with a letter'));
    await shot('dashboard-new-project-invalid');
    await name.fill(projectName);
    await expectCount(page.getByText('Use lowercase letters and digits, starting with a letter'), 0);
    await expectVisible(page.getByText(new RegExp(`-${projectName}$`)));
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    await expectVisible(page.getByRole('heading', { name: projectName, level: 1 }));
    await expectVisible(page.getByText('Add your first service'));
  });

  it('when a service name is already used, then the api error shows under the name field', async () => {
    const projectUrl = page.url();
    await addService(page, serviceName);
    await page.waitForURL(/\/services\/[^/]+$/);
    // The same name again, in the same project: the api answers 409 with fields.name.
    await page.goto(projectUrl);
    await page.getByRole('link', { name: 'Add service' }).first().click();
    await fillService(page, serviceName);
    await page.getByRole('button', { name: 'Create service' }).click();
    const nameField = page.getByLabel('Service name');
    await expectAttribute(nameField, 'aria-invalid', 'true');
    await expectVisible(page.getByText('Already used by another of your services.'));
    await shot('new-service-conflict');
  });

  it('when the project is opened, then the service is listed with its status and internal address', async () => {
    await page.getByRole('link', { name: projectName, exact: true }).click();
    await expectVisible(page.getByRole('link', { name: serviceName, exact: true }));
    await expectVisible(page.getByText(`http://${serviceName}:8080`));
    await shot('project');
  });

  it('when an env var is added, then it is listed with its value masked', async () => {
    await page.getByRole('link', { name: serviceName, exact: true }).click();
    await page.waitForURL(/\/services\/[^/]+$/);
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Key').fill('API_TOKEN');
    await page.getByLabel('Value').fill('s3cret-value');
    await page.getByRole('button', { name: 'Add variable' }).last().click();
    const list = page.getByRole('list', { name: 'Environment variables' });
    await expectVisible(list.getByText('API_TOKEN'));
    await expectCount(page.getByText('s3cret-value'), 0);
    await shot('service');
  });

  it('when a service is deleted, then the name must be typed first, and it leaves the project', async () => {
    await page.getByRole('button', { name: 'Delete service' }).click();
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Delete service' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel(/to confirm/).fill(serviceName);
    await shot('delete-service-dialog');
    await confirm.click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    await expectVisible(page.getByText('Add your first service'));
  });

  it('when the project is deleted with its name typed, then the dashboard no longer lists it', async () => {
    await page.getByRole('button', { name: 'Delete project' }).click();
    await page.getByLabel(/to confirm/).fill(projectName);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.waitForURL(url('/'));
    await expectCount(page.getByRole('link', { name: new RegExp(projectName) }), 0);
    await shot('dashboard');
    expect(pageErrors).toEqual([]);
  });
});

async function fillService(page: Page, name: string): Promise<void> {
  await page.getByLabel('Service name').fill(name);
  await page.getByLabel('GitHub repository URL').fill('https://github.com/octocat/hello-world');
  await page.getByLabel('Container port').fill('8080');
}

async function addService(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Add service' }).first().click();
  await fillService(page, name);
  await page.getByRole('button', { name: 'Create service' }).click();
}
