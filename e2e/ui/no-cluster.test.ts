/**
 * The product without a cluster, as `npm start` runs it on a laptop (no KUBECONFIG, not in a
 * pod), in a real browser: every page says so in a banner, the actions the api would refuse
 * are disabled with its reason, the views that read the cluster say why they are not there,
 * and a pushed commit waits for a cluster instead of a timer running for ever. Nothing logs a
 * stack trace, in the browser's console or the server's output, and a restart commits no
 * build Job for the waiting push.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProjectDto, ServiceDto } from '@dangus/common';
import type { Browser, Page } from 'playwright-core';
import { deliveryHeaders, pushPayload, randomSha } from '@dangus/api/test-support/webhook-payloads';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { eventually, expectCount, expectVisible, openBrowser, screenshot, textOf } from './browser.js';

const exec = promisify(execFile);

/** The start of the api's reason (api/src/use-cases/service-abilities.ts). */
const NO_CLUSTER = 'No Kubernetes cluster is connected (KUBECONFIG is not set and the platform is not running in a pod)';

describe('without a cluster, in the browser', () => {
  let browser: Browser;
  let api: ApiProcess;
  let restarted: ApiProcess | undefined;
  const url = (path: string) => new URL(path, api.origin).toString();

  beforeAll(async () => {
    api = await startApiProcess();
    ({ browser } = await openBrowser());
  }, 120_000);
  afterAll(async () => {
    await browser.close();
    await restarted?.stop();
    await api.stop();
  });

  /** A signed-in page whose console errors and uncaught errors are collected. */
  async function signedIn(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()} ${message.location().url}`);
    });
    const answer = await page.request.post(url('/auth/local'), { headers: { Origin: api.origin } });
    expect(answer.status()).toBe(204);
    return { page, problems };
  }

  async function call(page: Page, method: 'GET' | 'POST', path: string, data?: object): Promise<{ status: number; body: unknown }> {
    const answer = await page.request.fetch(url(path), { method, headers: { Origin: api.origin }, ...(data ? { data } : {}) });
    const text = await answer.text();
    return { status: answer.status(), body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  const stateRepoFiles = async (dataDir: string) =>
    (await exec('git', ['--git-dir', join(dataDir, 'state-repo'), 'ls-tree', '-r', '--name-only', 'HEAD'])).stdout.trim().split('\n');

  it('says so on every page, disables what the api would refuse with its reason, and a push waits for a cluster; a restart commits no build Job', async () => {
    const { page, problems } = await signedIn();
    const project = (await call(page, 'POST', '/api/projects', { name: 'laptop' })).body as ProjectDto;
    const created = await call(page, 'POST', `/api/projects/${project.id}/services`, {
      name: 'web',
      repoUrl: 'https://github.com/acme/web',
      port: 8080,
      storageGb: 1,
    });
    expect(created.status).toBe(201);
    const service = created.body as ServiceDto;
    // A push from GitHub is still recorded, as pending.
    const sha = randomSha();
    const payload = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main', after: sha }));
    const pushed = await fetch(url(`/webhooks/github/${service.id}`), { method: 'POST', headers: deliveryHeaders(service.webhookSecret, payload, 'push'), body: payload });
    expect(pushed.status).toBe(202);

    // Every page: the banner, with the api's reason.
    for (const path of ['/', `/projects/${project.id}`, `/services/${service.id}`, '/system']) {
      await page.goto(url(path));
      const banner = page.getByRole('region', { name: 'No cluster' });
      await expectVisible(banner);
      expect(await textOf(banner)).toContain(`No cluster connected. ${NO_CLUSTER}`);
    }
    // The System page says "no cluster" where the applier would be, not "not reported yet".
    const applier = page.getByRole('region', { name: 'Applier' });
    await expectVisible(applier.getByText('No cluster', { exact: true }));
    expect(await textOf(applier)).not.toContain('not reported yet');

    // The project's usage says why there are no figures, instead of a missing panel.
    await page.goto(url(`/projects/${project.id}`));
    await expectVisible(page.getByRole('region', { name: 'Usage' }).getByText('Usage figures need a cluster'));

    // The service: Deploy now and Restart disabled, with the reason shown and as their tooltip.
    await page.goto(url(`/services/${service.id}`));
    const deploy = page.getByRole('button', { name: 'Deploy now' });
    const restart = page.getByRole('button', { name: 'Restart' });
    await expectVisible(deploy);
    expect(await deploy.isDisabled()).toBe(true);
    expect(await restart.isDisabled()).toBe(true);
    expect(await deploy.getAttribute('title')).toMatch(new RegExp(`^${escape(NO_CLUSTER)}`));
    const reasons = page.getByRole('list', { name: 'Unavailable actions' });
    expect(await textOf(reasons)).toContain(`Deploy now and Restart are off: ${NO_CLUSTER}`);
    // Each button names that line as its description (what a screen reader reads with it).
    const describedBy = await deploy.getAttribute('aria-describedby');
    expect(describedBy).toBe(await restart.getAttribute('aria-describedby'));
    expect(await textOf(page.locator(`[id="${describedBy ?? 'none'}"]`))).toContain(NO_CLUSTER);
    // The push waits for a cluster: said so on the overview, without a running timer.
    await expectVisible(page.getByText(`${sha.slice(0, 7)} is waiting for a cluster`));
    await screenshot(page, 'service-no-cluster');
    // Replicas (the Settings tab): one with a volume, the input disabled with the api's reason beside it.
    await page.getByRole('tab', { name: 'Settings', exact: true }).click();
    const replicas = page.getByRole('textbox', { name: 'Replicas' });
    expect(await replicas.isDisabled()).toBe(true);
    const hint = await replicas.getAttribute('aria-describedby');
    expect(await textOf(page.locator(`[id="${hint ?? 'none'}"]`))).toMatch(/^A service with a volume runs one replica/);
    // Logs and metrics (their tabs) say why they are not there; no stream that connects for ever.
    await page.getByRole('tab', { name: 'Logs', exact: true }).click();
    await expectVisible(page.getByRole('region', { name: 'Logs' }).getByText('Logs and events need a cluster'));
    await expectCount(page.getByText('Connecting…'), 0);
    await page.getByRole('tab', { name: 'Metrics', exact: true }).click();
    await expectVisible(page.getByRole('region', { name: 'Metrics' }).getByText('CPU and memory figures need a cluster'));
    // The deployments list: the push waits, without a running timer.
    await page.getByRole('tab', { name: 'Deployments', exact: true }).click();
    const row = page.getByRole('list', { name: 'Deployments' }).getByRole('listitem').first();
    await expectVisible(row.getByText(/waiting for a cluster/));
    expect(await textOf(row)).not.toMatch(/running for/);

    // The deployment's own page: waiting, not "running for".
    await row.getByRole('link', { name: /Build log of/ }).click();
    await expectVisible(page.getByText('Waiting for a cluster', { exact: true }));
    expect(await textOf(page.getByRole('region', { name: 'Deployment' }))).not.toMatch(/Running for/);
    await expectVisible(page.getByText('No build yet: it starts once a cluster is connected.'));

    // Nothing failed loudly: no console error in the browser, no stack trace or error line from the server.
    expect(problems).toEqual([]);
    expect(api.output()).not.toMatch(/\n\s+at \S/);
    expect(api.output()).not.toMatch(/"level":50/);

    // The state repo holds the service, and no build Job for the waiting push, before and after a restart.
    const before = await stateRepoFiles(api.dataDir);
    expect(before).toContain(`tenants/${project.namespace}/web/service.yaml`);
    expect(before.filter((file) => file.includes('/build-'))).toEqual([]);
    await api.stopKeepingData();
    restarted = await startApiProcess({}, { dataDir: api.dataDir });
    const again = restarted;
    // The new leader renders every tenant from the database and commits the difference.
    await eventually('the restart\'s reconcile', () => Promise.resolve(again.output().includes('state repo reconciled with the database') ? true : undefined), 30_000);
    const after = await stateRepoFiles(api.dataDir);
    expect(after.filter((file) => file.includes('/build-'))).toEqual([]);
    expect(after).toContain(`tenants/${project.namespace}/web/service.yaml`);
    expect(restarted.output()).not.toMatch(/\n\s+at \S/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
