/**
 * A push going live, watched in a real browser (issue 6): the api runs as
 * `npm start` runs it, against the harness's control plane and a test
 * PostgreSQL database; GitHub's push is faked with a signed webhook and the
 * simulated build pod told how to behave (support/pod-behaviour.ts). The page
 * is never reloaded: everything it shows arrives over /api/events and the
 * build log stream.
 */
import { randomBytes } from 'node:crypto';
import type { ServiceDto } from '@dangus/common';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';
import { eventually, expectCount, expectVisible, openBrowser, screenshot, textOf, type Locator } from './browser.js';

// Eight lines 500 ms apart: the page opens about 2 s into the build (the row must say
// Building first), which leaves a second and a half of lines still to stream in.
const BUILD_LOG = [
  'INFO Retrieving image manifest node:24',
  'INFO Unpacking rootfs as cmd COPY package.json requires it',
  'COPY package.json package-lock.json ./',
  'RUN npm ci',
  'added 312 packages in 4s',
  'RUN npm run build',
  'vite v7 building for production... done',
  'INFO Pushing image to harbor.local',
];
const FAILED_LOG = ['Step 1/2 : FROM node:24', 'error: missing script: build'];
/** How long the pipeline may take from a push to live or failed on 2 busy cores. */
const SETTLE_MS = 90_000;

function randomSha(): string {
  return randomBytes(20).toString('hex');
}

/** How many of `lines` the log viewer shows. */
function linesShown(text: string, lines: string[]): number {
  return lines.filter((line) => text.includes(line)).length;
}

describe('a push going live, watched in the browser', () => {
  let pods: PodBehaviourWebhook;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ApiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let service: ServiceDto;
  const suffix = randomBytes(3).toString('hex');
  const projectName = `live-${suffix}`;
  const serviceName = `web-${suffix}`;
  const repo = `acme/${serviceName}`;
  const liveCommit = randomSha();
  const failedCommit = randomSha();
  const short = (sha: string) => sha.slice(0, 7);

  const url = (path: string) => new URL(path, api?.origin).toString();

  /** A push of `commit` to main, signed as GitHub signs it; returns the new deployment's id. */
  const push = async (commit: string, message: string): Promise<string> => {
    const body = JSON.stringify(pushPayload({ repo, ref: 'refs/heads/main', after: commit, message }));
    const answer = await fetch(url(`/webhooks/github/${service.id}`), {
      method: 'POST',
      headers: deliveryHeaders(service.webhookSecret, body, 'push'),
      body,
    });
    expect(answer.status).toBe(202);
    return ((await answer.json()) as { deploymentId: string }).deploymentId;
  };

  /** The browser's own session creates what it needs through the api (creation through the UI is ui.test.ts's). */
  const post = async <T>(path: string, data: unknown): Promise<T> => {
    const answer = await page.request.post(url(path), { data, headers: { Origin: new URL(url('/')).origin } });
    expect(answer.status()).toBe(201);
    return (await answer.json()) as T;
  };

  /** The deployments listed on the service page, and one row of it. */
  const deploymentList = () => page.getByRole('list', { name: 'Deployments' });
  const row = (commit: string) => deploymentList().getByRole('listitem').filter({ hasText: short(commit) });
  /** The status word of a StatusBadge ("Status: Live" to screen readers) inside `scope`. */
  const statusIn = (scope: Locator | Page) => scope.getByText(/^Status: \w+$/);
  const statusWord = async (scope: Locator | Page) => (await textOf(statusIn(scope))).replace(/^Status: /, '');
  const logOf = (commit: string) => page.getByRole('log', { name: `Build log of ${short(commit)}` });

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

  it('when a signed-in user opens a new service, then it has no deployments and live updates are on', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: 'Sign in locally' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Projects', level: 1 }));
    const project = await post<{ id: string }>('/api/projects', { name: projectName });
    service = await post<ServiceDto>(`/api/projects/${project.id}/services`, {
      name: serviceName,
      repoUrl: `https://github.com/${repo}`,
      port: 8080,
    });

    await page.goto(url(`/services/${service.id}/deployments`));
    await expectVisible(page.getByRole('heading', { name: serviceName, level: 1 }));
    await expectVisible(page.getByText('No deployments yet'));
    // Until /api/events is open the page would only poll every 30 s.
    await expectVisible(page.getByTitle('Status updates arrive as they happen.'));
    // Gone if the page is ever reloaded: the last test checks it is still there.
    await page.evaluate(() => {
      Object.assign(globalThis, { dangusE2eNoReload: true });
    });
  });

  it('when a push arrives, then the deployment appears building, its log streams in, and it goes live with its commit', async () => {
    pods.set(liveCommit, { log: `${BUILD_LOG.join('\n')}\n`, logInterval: '500ms', runDuration: '4s' });
    const id = await push(liveCommit, 'Ship the landing page');

    // The service page: the new row appears by itself, building, with the short commit.
    await expectVisible(row(liveCommit), SETTLE_MS);
    await eventually('the new row to say Building', async () =>
      (await statusWord(row(liveCommit))) === 'Building' ? true : undefined,
    );
    await expectVisible(row(liveCommit).getByText('Ship the landing page'));
    const building = page.getByRole('status').filter({ hasText: `Building ${short(liveCommit)}…` });
    await expectVisible(building);

    // The log lives on the deployment page: open it from the banner, as a user would.
    await building.getByRole('link', { name: 'Watch the build log' }).click();
    await page.waitForURL(new RegExp(`/deployments/${id}$`));
    await expectVisible(page.getByText('Streaming live…'));

    // Watch the page until it is live, noting what it showed on the way.
    const log = logOf(liveCommit);
    const seen: Array<{ status: string; lines: number }> = [];
    let shot = false;
    await eventually(
      'the deployment page to show Live and the whole build log',
      async () => {
        const now = { status: await statusWord(page.getByRole('main')), lines: linesShown(await textOf(log), BUILD_LOG) };
        seen.push(now);
        if (now.status === 'Failed') throw new Error(`the deployment failed: ${await textOf(page.getByRole('alert'))}`);
        if (!shot && now.status === 'Building' && now.lines >= 3 && now.lines < BUILD_LOG.length) {
          shot = true;
          await screenshot(page, 'deployment-live-log');
        }
        return now.status === 'Live' && now.lines === BUILD_LOG.length ? now : undefined;
      },
      SETTLE_MS,
    );
    // Lines arrived while it built, a few at a time, never going back.
    expect(seen.some((s) => s.status === 'Building' && s.lines > 0 && s.lines < BUILD_LOG.length)).toBe(true);
    expect(seen.map((s) => s.lines)).toEqual([...seen.map((s) => s.lines)].sort((a, b) => a - b));
    expect(await textOf(log)).toBe(BUILD_LOG.join(' '));
    await expectVisible(page.getByText('Build finished.'));

    const commitLink = page.getByRole('main').getByRole('link', { name: short(liveCommit), exact: true });
    await expectVisible(commitLink);
    expect(await commitLink.getAttribute('href')).toBe(`https://github.com/${repo}/commit/${liveCommit}`);
    await expectVisible(page.getByText('Ship the landing page'));
    await expectVisible(page.getByText(new RegExp(`/${serviceName}:${liveCommit}$`)));
    await expectVisible(page.getByText(/^sha256:[0-9a-f]{64}$/));
  });

  it('when a push fails to build, then it shows Failed with the reason, and the live one stays live', async () => {
    await page.getByRole('link', { name: serviceName, exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: serviceName, level: 1 }));
    await page.getByRole('tab', { name: 'Deployments', exact: true }).click();
    // The list loads after the tab opens: its row first, then its word.
    await expectVisible(statusIn(row(liveCommit)));
    expect(await statusWord(row(liveCommit))).toBe('Live');
    const pushesDeployed = page
      .getByRole('list', { name: 'Recent webhook deliveries' })
      .getByRole('listitem')
      .filter({ hasText: 'deployed' })
      .filter({ hasText: 'push' });
    await expectCount(pushesDeployed, 1);

    pods.set(failedCommit, { log: `${FAILED_LOG.join('\n')}\n`, fail: true, exitCode: 2 });
    const id = await push(failedCommit, 'Break the build');
    const reason = 'the build failed (exit code 2): error: missing script: build';

    await expectVisible(row(failedCommit), SETTLE_MS);
    await eventually(
      'the failed row to say Failed',
      async () => ((await statusWord(row(failedCommit))) === 'Failed' ? true : undefined),
      SETTLE_MS,
    );
    await expectVisible(row(failedCommit).getByText(reason, { exact: true }));
    expect(await statusWord(row(liveCommit))).toBe('Live');
    // The webhook panel learns of the new delivery from the deployment's events too.
    await expectCount(pushesDeployed, 2);
    await screenshot(page, 'service-deployments');

    await row(failedCommit).getByRole('link', { name: `Build log of ${short(failedCommit)}` }).click();
    await page.waitForURL(new RegExp(`/deployments/${id}$`));
    const why = page.getByRole('alert').filter({ hasText: 'Why it failed' });
    await expectVisible(why.getByText(reason, { exact: true }));
    expect(await statusWord(page.getByRole('main'))).toBe('Failed');
    await eventually('the failed build log', async () =>
      linesShown(await textOf(logOf(failedCommit)), FAILED_LOG) === FAILED_LOG.length ? true : undefined,
    );
    await screenshot(page, 'deployment-failed');

    expect(await page.evaluate(() => 'dangusE2eNoReload' in globalThis)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
