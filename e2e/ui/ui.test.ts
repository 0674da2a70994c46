/**
 * The web UI in a real browser (Debian's Chromium driven by playwright-core)
 * against the real api, started here as `npm start` runs it (or the one at
 * DANGUS_E2E_URL, with local sign-in on). Each test has a browser context of its
 * own, signs in and sets up what it needs through the api, and asserts what the
 * browser shows and what the api then holds. Screenshots of each page go to
 * DANGUS_SCREENSHOT_DIR when it is set.
 */
import { randomBytes } from 'node:crypto';
import type { EnvVarDto, ProjectDetailDto, ProjectDto, ServiceDto } from '@dangus/common';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { expectAttribute, expectCount, expectVisible, openBrowser, screenshot } from './browser.js';

let baseUrl = process.env.DANGUS_E2E_URL ?? '';
/** The start of the name rule's message (common/src/schemas.ts), shown under a bad name. */
const NAME_RULE = 'Use lowercase letters and digits, starting with a letter';

describe('the web UI against the real api', () => {
  let browser: Browser;
  let api: ApiProcess | undefined;
  const url = (path: string) => new URL(path, baseUrl).toString();
  const origin = () => ({ Origin: new URL(baseUrl).origin });
  /** A name of its own for each use, so tests never see each other's projects. */
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

  /** A fresh browser context (no cookies) and its page; uncaught page errors collected. */
  async function freshPage(): Promise<{ page: Page; pageErrors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { page, pageErrors };
  }

  /** A fresh context signed in through the api's local sign-in (its cookie lands in the context). */
  async function signedIn(): Promise<{ page: Page; pageErrors: string[] }> {
    const fresh = await freshPage();
    const answer = await fresh.page.request.post(url('/auth/local'), { headers: origin() });
    expect(answer.status()).toBeLessThan(300);
    return fresh;
  }

  /** The api's answer to a call with this context's session: the status and the parsed body. */
  async function apiCall(page: Page, method: 'GET' | 'POST' | 'DELETE', path: string, data?: object): Promise<{ status: number; body: unknown }> {
    const answer = await page.request.fetch(url(path), { method, headers: origin(), ...(data ? { data } : {}) });
    const text = await answer.text();
    return { status: answer.status(), body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  async function createProject(page: Page, name = unique('e2e')): Promise<ProjectDto> {
    const answer = await apiCall(page, 'POST', '/api/projects', { name });
    expect(answer.status).toBe(201);
    return answer.body as ProjectDto;
  }

  async function createService(page: Page, projectId: string, name = unique('web')): Promise<ServiceDto> {
    const answer = await apiCall(page, 'POST', `/api/projects/${projectId}/services`, {
      name,
      repoUrl: 'https://github.com/octocat/hello-world',
      port: 8080,
    });
    expect(answer.status).toBe(201);
    return answer.body as ServiceDto;
  }

  const servicesOf = async (page: Page, projectId: string) =>
    ((await apiCall(page, 'GET', `/api/projects/${projectId}`)).body as ProjectDetailDto).services.map((s) => s.name);

  it('when not signed in, then the sign-in page offers local sign-in, which lands on the dashboard', async () => {
    const { page, pageErrors } = await freshPage();
    await page.goto(url('/'));
    await page.waitForURL(/\/sign-in$/);
    expect((await page.request.get(url('/api/projects'))).status()).toBe(401);
    await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await page.waitForURL(url('/'));
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    // Signed in for real: the session cookie opens the api, and a reload stays on the dashboard.
    expect((await page.request.get(url('/api/projects'))).status()).toBe(200);
    await page.reload();
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    expect(page.url()).toBe(url('/'));
    expect(pageErrors).toEqual([]);
  });

  it('when a project name is typed, then it is checked as typed and shows its namespace', async () => {
    const { page, pageErrors } = await signedIn();
    const projectName = unique('e2e');
    await page.goto(url('/'));
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    await expectCount(page.getByText('Loading projects…'), 0);
    await page.getByRole('button', { name: 'New project' }).first().click();
    const name = page.getByLabel('Project name');
    await expectVisible(name);
    await name.fill('Bad_Name');
    await expectVisible(page.getByText(NAME_RULE));
    await expectAttribute(name, 'aria-invalid', 'true');
    await screenshot(page, 'dashboard-new-project-invalid');
    await name.fill(projectName);
    await expectCount(page.getByText(NAME_RULE), 0);
    await expectVisible(page.getByText(new RegExp(`^[a-z0-9]{6}-${projectName}$`)));
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/projects\/[^/]+$/);
    await expectVisible(page.getByRole('heading', { name: projectName, level: 1 }));
    await expectVisible(page.getByText('Add your first service'));
    // The api holds that project, under the id the page went to, with the namespace it showed.
    const projects = ((await apiCall(page, 'GET', '/api/projects')).body as ProjectDto[]).filter((p) => p.name === projectName);
    expect(projects).toHaveLength(1);
    expect(page.url()).toBe(url(`/projects/${projects[0]?.id ?? ''}`));
    expect(projects[0]?.namespace).toMatch(new RegExp(`^[a-z0-9]{6}-${projectName}$`));
    expect(pageErrors).toEqual([]);
  });

  it('when a service name is already used, then the api error shows under the name field', async () => {
    const { page, pageErrors } = await signedIn();
    const project = await createProject(page);
    const service = await createService(page, project.id);
    await page.goto(url(`/projects/${project.id}`));
    await page.getByRole('link', { name: 'Add service' }).first().click();
    await fillService(page, service.name);
    await page.getByRole('button', { name: 'Create service' }).click();
    // The api answers 409 with fields.name, and the form shows it on the field; nothing is created.
    const nameField = page.getByLabel('Service name');
    await expectAttribute(nameField, 'aria-invalid', 'true');
    await expectVisible(page.getByText('Already used by another service of this project.'));
    expect(await nameField.inputValue()).toBe(service.name);
    expect(page.url()).toBe(url(`/projects/${project.id}/services/new`));
    expect(await servicesOf(page, project.id)).toEqual([service.name]);
    await screenshot(page, 'new-service-conflict');
    expect(pageErrors).toEqual([]);
  });

  it('when two projects each get a service web, then the form shows each one\'s address before it is created, and both live there', async () => {
    const { page, pageErrors } = await signedIn();
    const projects = [await createProject(page, unique('staging')), await createProject(page, unique('prod'))];
    const created: ServiceDto[] = [];
    for (const project of projects) {
      await page.goto(url(`/projects/${project.id}/services/new`));
      await fillService(page, 'web');
      // The address, shown as the name is typed: the project's namespace and the service.
      const address = `${project.namespace}--web`;
      await expectVisible(page.getByText(address, { exact: true }));
      if (project === projects[1]) await screenshot(page, 'new-service-address');
      await page.getByRole('button', { name: 'Create service' }).click();
      await page.waitForURL(/\/services\/[0-9a-f-]{36}$/);
      const service = (await apiCall(page, 'GET', `/api/services/${page.url().split('/').pop() ?? ''}`)).body as ServiceDto;
      expect(service).toMatchObject({ name: 'web', projectId: project.id, subdomain: address });
      // The service page links the address the form showed.
      await expectVisible(page.getByRole('link', { name: service.publicUrl }));
      expect(new URL(service.publicUrl).hostname.split('.')[0]).toBe(address);
      created.push(service);
    }
    expect(new Set(created.map((s) => s.publicUrl)).size).toBe(2);
    // Each project lists its own web, at its own address.
    for (const [i, project] of projects.entries()) {
      await page.goto(url(`/projects/${project.id}`));
      const row = page.getByRole('list', { name: 'Services' }).getByRole('listitem').filter({ hasText: 'web' });
      await expectVisible(row.getByRole('link', { name: created[i]?.publicUrl.replace(/^https?:\/\//, '') ?? '' }));
    }
    expect(pageErrors).toEqual([]);
  });

  it('when the project is opened, then the service is listed with its status and internal address', async () => {
    const { page, pageErrors } = await signedIn();
    const project = await createProject(page);
    const service = await createService(page, project.id);
    await page.goto(url(`/projects/${project.id}`));
    await expectVisible(page.getByRole('heading', { name: project.name, level: 1 }));
    const row = page.getByRole('list', { name: 'Services' }).getByRole('listitem').filter({ hasText: service.name });
    await expectCount(row, 1);
    await expectVisible(row.getByRole('link', { name: service.name, exact: true }));
    expect(await row.getByRole('link', { name: service.name, exact: true }).getAttribute('href')).toBe(`/services/${service.id}`);
    // Never deployed: the status says so in words.
    await expectVisible(row.getByText('Status: Not deployed'));
    await expectVisible(page.getByText(`http://${service.name}:8080`));
    await screenshot(page, 'project');
    expect(pageErrors).toEqual([]);
  });

  it('when an env var is added, then it is listed by key and its value is nowhere in the page: text, inputs or attributes', async () => {
    const { page, pageErrors } = await signedIn();
    const project = await createProject(page);
    const service = await createService(page, project.id);
    // One value set through the api beforehand, one typed in this page.
    const storedValue = `stored-${randomBytes(8).toString('hex')}`;
    const typedValue = `typed-${randomBytes(8).toString('hex')}`;
    expect((await apiCall(page, 'POST', `/api/services/${service.id}/env`, { key: 'DATABASE_URL', value: storedValue })).status).toBe(201);

    await page.goto(url(`/services/${service.id}/environment`));
    const list = page.getByRole('list', { name: 'Environment variables' });
    await expectVisible(list.getByText('DATABASE_URL'));
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Key', { exact: true }).fill('API_TOKEN');
    await page.getByLabel('Value', { exact: true }).fill(typedValue);
    // While typed, the value is in the input, and only there: the check sees input values.
    // (React mirrors a controlled input's value into its attribute.)
    expect(await findValue(page, typedValue)).toEqual(['the attribute value of input', 'the value of input[type=password]']);
    await page.getByRole('button', { name: 'Add variable' }).last().click();
    await expectVisible(list.getByText('API_TOKEN'));
    await expectCount(page.getByRole('heading', { name: 'New variable' }), 0);

    // Stored: the api lists both keys, values masked.
    const stored = (await apiCall(page, 'GET', `/api/services/${service.id}/env`)).body as EnvVarDto[];
    expect(stored.map((e) => e.key).sort()).toEqual(['API_TOKEN', 'DATABASE_URL']);
    expect(JSON.stringify(stored)).not.toMatch(new RegExp(`${typedValue}|${storedValue}`));

    // Listed masked; neither value in the page, nor in the edit form, nor after a reload.
    expect(await list.getByLabel('value hidden').count()).toBe(2);
    for (const value of [typedValue, storedValue]) expect(await findValue(page, value)).toEqual([]);
    await page.getByRole('button', { name: 'Edit API_TOKEN' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Edit API_TOKEN' }));
    for (const value of [typedValue, storedValue]) expect(await findValue(page, value)).toEqual([]);
    await screenshot(page, 'service-environment');
    await page.reload();
    await expectVisible(list.getByText('API_TOKEN'));
    await page.getByRole('button', { name: 'Edit DATABASE_URL' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Edit DATABASE_URL' }));
    for (const value of [typedValue, storedValue]) expect(await findValue(page, value)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('when a service is deleted, then the name must be typed first, and it leaves the project', async () => {
    const { page, pageErrors } = await signedIn();
    const project = await createProject(page);
    const service = await createService(page, project.id);
    await page.goto(url(`/services/${service.id}`));
    await page.getByRole('button', { name: 'Delete service' }).click();
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Delete service' });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel(/to confirm/).fill(`${service.name}x`);
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel(/to confirm/).fill(service.name);
    expect(await confirm.isEnabled()).toBe(true);
    await screenshot(page, 'delete-service-dialog');
    await confirm.click();
    await page.waitForURL(url(`/projects/${project.id}`));
    await expectVisible(page.getByText('Add your first service'));
    expect(await servicesOf(page, project.id)).toEqual([]);
    expect((await apiCall(page, 'GET', `/api/services/${service.id}`)).status).toBe(404);
    expect(pageErrors).toEqual([]);
  });

  it('when the project is deleted with its name typed, then the dashboard no longer lists it', async () => {
    const { page, pageErrors } = await signedIn();
    const project = await createProject(page);
    const other = await createProject(page);
    await page.goto(url('/'));
    await expectVisible(page.getByRole('link', { name: new RegExp(project.name) }));
    await page.goto(url(`/projects/${project.id}`));
    await page.getByRole('button', { name: 'Delete project' }).click();
    // The open dialog's field (the project page also holds the closed Move dialog's).
    await page.getByRole('dialog').getByLabel(/to confirm/).fill(project.name);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.waitForURL(url('/'));
    await expectCount(page.getByRole('link', { name: new RegExp(project.name) }), 0);
    await expectVisible(page.getByRole('link', { name: new RegExp(other.name) }));
    await screenshot(page, 'dashboard');
    const names = ((await apiCall(page, 'GET', '/api/projects')).body as ProjectDto[]).map((p) => p.name);
    expect(names).toContain(other.name);
    expect(names).not.toContain(project.name);
    expect((await apiCall(page, 'GET', `/api/projects/${project.id}`)).status).toBe(404);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Where `value` is in the page: text, every attribute of every element, and the live
 * value of every input, textarea and select (a typed value is a property, not an
 * attribute). Run in the page, as source: the e2e workspace has no DOM types.
 */
const FIND_VALUE_IN_PAGE = `(needle) => {
  const found = [];
  if ((document.documentElement.textContent || '').includes(needle)) found.push('the text of the page');
  if (document.title.includes(needle)) found.push('the title');
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (attribute.value.includes(needle)) found.push('the attribute ' + attribute.name + ' of ' + element.tagName.toLowerCase());
    }
  }
  for (const field of document.querySelectorAll('input, textarea, select')) {
    if (field.value.includes(needle)) {
      const type = field.getAttribute('type');
      found.push('the value of ' + field.tagName.toLowerCase() + (type ? '[type=' + type + ']' : ''));
    }
  }
  return found;
}`;

async function findValue(page: Page, value: string): Promise<string[]> {
  return page.evaluate<string[]>(`(${FIND_VALUE_IN_PAGE})(${JSON.stringify(value)})`);
}

async function fillService(page: Page, name: string): Promise<void> {
  await page.getByLabel('Service name').fill(name);
  await page.getByLabel('GitHub repository URL').fill('https://github.com/octocat/hello-world');
  await page.getByLabel('Container port').fill('8080');
}
