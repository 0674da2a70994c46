/**
 * Releases in a real browser: the service page's infrastructure history opens a commit
 * as a diff, and "Roll back to this release" shows what will change and rolls back, the
 * new row going live without a reload. The api runs as `npm start` runs it, against the
 * harness's control plane; pushes are signed webhooks, build pods simulated.
 */
import { randomBytes } from 'node:crypto';
import type { DeploymentDto, ServiceDto } from '@dangus/common';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';
import { eventually, expectVisible, openBrowser, screenshot, textOf } from './browser.js';

const SETTLE_MS = 90_000;

describe('releases in the browser', () => {
  let pods: PodBehaviourWebhook;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  const suffix = randomBytes(3).toString('hex');
  const serviceName = `rel-${suffix}`;
  const repo = `acme/${serviceName}`;
  const first = randomBytes(20).toString('hex');
  const second = randomBytes(20).toString('hex');
  const short = (sha: string) => sha.slice(0, 7);
  const url = (path: string) => new URL(path, api?.origin).toString();
  let namespace = '';
  let projectId = '';
  let serviceId = '';
  /** Opens a tab of the service page, as a user would. */
  const openTab = async (name: string) => {
    await page.getByRole('tab', { name, exact: true }).click();
    await expectVisible(page.getByRole('tabpanel', { name }));
  };

  beforeAll(async () => {
    pods = await startPodBehaviourWebhook(e2eKubeConfig());
    database = await createTestDatabase();
    api = await startApiProcess({
      KUBECONFIG: e2eKubeconfigPath(),
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      AUTH_LOCAL: 'true',
    });
    ({ browser, page, pageErrors } = await openBrowser());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await database.drop();
    await pods.stop();
  });

  it('opens a commit of the infrastructure history as a diff, and rolls back to a release with its changes shown first', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    const origin = { Origin: new URL(url('/')).origin };
    const project = (await (await page.request.post(url('/api/projects'), { data: { name: `rel-${suffix}` }, headers: origin })).json()) as { id: string; namespace: string };
    namespace = project.namespace;
    projectId = project.id;
    const service = (await (
      await page.request.post(url(`/api/projects/${project.id}/services`), {
        data: { name: serviceName, repoUrl: `https://github.com/${repo}`, port: 8080 },
        headers: origin,
      })
    ).json()) as ServiceDto;
    serviceId = service.id;
    const deploymentOf = async (id: string) => (await (await page.request.get(url(`/api/deployments/${id}`))).json()) as DeploymentDto;
    const pushLive = async (commit: string, message: string): Promise<string> => {
      pods.set(commit, { log: 'built\n', runDuration: '1s' });
      const body = JSON.stringify(pushPayload({ repo, ref: 'refs/heads/main', after: commit, message }));
      const answer = await fetch(url(`/webhooks/github/${service.id}`), { method: 'POST', headers: deliveryHeaders(service.webhookSecret, body, 'push'), body });
      const id = ((await answer.json()) as { deploymentId: string }).deploymentId;
      await eventually(`${message} to go live`, async () => ((await deploymentOf(id)).status === 'live' ? true : undefined), SETTLE_MS);
      return id;
    };
    await pushLive(first, 'First version');
    await pushLive(second, 'Second version');

    await page.goto(url(`/services/${service.id}/history`));
    await expectVisible(page.getByRole('heading', { name: serviceName, level: 1 }));

    // The infrastructure history: the newest commit rolled out the second version; its diff shows the image.
    const commits = page.getByRole('list', { name: 'State repo commits' });
    const rollout = commits.getByRole('listitem').filter({ hasText: `roll out ${short(second)}` }).first();
    await expectVisible(rollout);
    await rollout.locator('summary').click();
    await expectVisible(rollout.getByText(`git show `, { exact: false }));
    await expectVisible(rollout.getByRole('figure').filter({ hasText: 'deployment.yaml' }).first());
    await eventually('the image line of the diff', async () => ((await textOf(rollout)).includes(`${serviceName}:${second}`) ? true : undefined));
    await screenshot(page, 'service-history-diff');

    // Roll back to the first release: the dialog says what changes, then the rollback goes live.
    await openTab('Deployments');
    const deployments = page.getByRole('list', { name: 'Deployments' });
    const firstRow = deployments.getByRole('listitem').filter({ hasText: 'First version' });
    await firstRow.getByRole('button', { name: 'Roll back to this release' }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back to ${short(first)}?` });
    await expectVisible(dialog);
    await expectVisible(dialog.getByRole('list', { name: 'What the rollback changes' }).getByText(`Image: ${short(second)} → ${short(first)}`));
    await expectVisible(dialog.getByText('Configuration and env values: unchanged'));
    await screenshot(page, 'rollback-confirm');
    await dialog.getByRole('button', { name: 'Roll back' }).click();

    const rollbackRow = deployments.getByRole('listitem').filter({ hasText: `Rollback to ${short(first)}` });
    await expectVisible(rollbackRow, SETTLE_MS);
    await eventually(
      'the rollback row to say Live',
      async () => ((await textOf(rollbackRow.getByText(/^Status: \w+$/))) === 'Status: Live' ? true : undefined),
      SETTLE_MS,
    );
    // The first release is now the one running: no rollback offered to it from the new row.
    await expectVisible(deployments.getByRole('listitem').filter({ hasText: 'Second version' }).getByRole('button', { name: 'Roll back to this release' }));
    expect(pageErrors).toEqual([]);
  });

  it("shows the running service's logs, live, filtered by pod and searched, and pauses", async () => {
    await openTab('Logs');
    const logs = page.getByRole('log', { name: `Logs of ${serviceName}` });
    await expectVisible(logs);
    await eventually('the app pod\'s line', async () => ((await textOf(logs)).includes('built') ? true : undefined), SETTLE_MS);
    const search = page.getByLabel('Search the loaded lines');
    await search.fill('no such text');
    await expectVisible(logs.getByText('No line matches.'));
    await search.fill('built');
    await expectVisible(logs.getByText('built').first());
    // One pod to choose besides "All pods": the only one running.
    const podSelect = page.getByLabel('Pod', { exact: true });
    await podSelect.selectOption({ index: 1 });
    expect(await podSelect.inputValue()).toMatch(new RegExp(`^${serviceName}-`));
    await expectVisible(logs.getByText('built').first());
    await screenshot(page, 'service-runtime-logs');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expectVisible(page.getByText(/^Paused: \d+ new lines held$/));
    await page.getByRole('button', { name: 'Resume' }).click();
    await search.fill('');
    expect(pageErrors).toEqual([]);
  });

  it('says in the metrics panel that this cluster serves no metrics API', async () => {
    // The kwok tier has no metrics.k8s.io; the real-node tier's test draws the charts.
    await openTab('Metrics');
    const panel = page.getByRole('region', { name: 'Metrics' });
    await expectVisible(panel.getByRole('status').filter({ hasText: 'No CPU and memory figures' }));
    expect(await textOf(panel)).toMatch(/does not serve the metrics API \(metrics\.k8s\.io\): install metrics-server/);
    expect(pageErrors).toEqual([]);
  });

  it('sets replicas and a size from the configuration panel, with the quota\'s refusal in words', async () => {
    await openTab('Settings');
    const form = page.getByRole('form', { name: 'Replicas and size' });
    const replicas = form.getByLabel('Replicas');
    const size = form.getByLabel('Size');
    await replicas.fill('11');
    await form.getByRole('button', { name: 'Save' }).click();
    await expectVisible(form.getByText('At most 10 replicas.'));
    await replicas.fill('10');
    await size.selectOption('large');
    await form.getByRole('button', { name: 'Save' }).click();
    await expectVisible(form.getByRole('alert').filter({ hasText: /quota is too small.*limits\.cpu: 11 CPU needed, 4 CPU in the quota/ }));
    await replicas.fill('2');
    await size.selectOption('small');
    await form.getByRole('button', { name: 'Save' }).click();
    // Saved (nothing left to save), and the change rolls out as a config deployment, which the list shows by itself.
    await eventually('the save to finish', async () => ((await form.getByRole('button', { name: 'Save' }).isDisabled()) ? true : undefined), SETTLE_MS);
    expect(await replicas.inputValue()).toBe('2');
    expect(await size.inputValue()).toBe('small');
    await screenshot(page, 'service-resources');
    await openTab('Deployments');
    await expectVisible(
      page.getByRole('list', { name: 'Deployments' }).getByRole('listitem').filter({ hasText: 'Configuration change: update replicas, size' }),
      SETTLE_MS,
    );
    expect(pageErrors).toEqual([]);
  });

  it('says in plain words, beside the status, when the cluster refuses the service\'s pods', async () => {
    // An operator caps the namespace at one pod; the service (two replicas) asks for three.
    await e2eKubeConfig().makeApiClient(CoreV1Api).createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'one-pod' }, spec: { hard: { pods: '1' } } },
    });
    const answer = await page.request.patch(url(`/api/services/${serviceId}`), { data: { replicas: 3 }, headers: { Origin: new URL(url('/')).origin } });
    expect(answer.status()).toBe(200);
    await expectVisible(page.getByRole('status').filter({ hasText: "Waiting: the project's pods quota is used up" }), 30_000);
    await screenshot(page, 'service-waiting-for-quota');

    // The project page shows what its pods use of the quota.
    await page.goto(url(`/projects/${projectId}`));
    const usage = page.getByRole('definition').filter({ hasText: / \/ 21$/ });
    await expectVisible(usage);
    await screenshot(page, 'project-usage');
    expect(pageErrors).toEqual([]);
  });
});
