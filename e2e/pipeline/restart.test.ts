/**
 * The api killed (SIGKILL) in the middle of a build, then started again on the
 * same database and state repo: the deployment still ends live, with its whole
 * log once, and nothing left behind. The work continues from rows, not memory.
 */
import { randomBytes } from 'node:crypto';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';
import { eventually, maybe, sha } from './support.js';

const LOG = Array.from({ length: 8 }, (_, i) => `step ${String(i + 1)} of 8`).join('\n') + '\n';

describe('the api killed mid-build', () => {
  let pods: PodBehaviourWebhook;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const processes: ApiProcess[] = [];

  beforeAll(async () => {
    pods = await startPodBehaviourWebhook(e2eKubeConfig());
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const api of processes.reverse()) await api.stop().catch(() => undefined);
    await database.drop();
    await pods.stop();
  });

  it('ends with the right final status after a restart, with its log stored once and its build Secret gone', async () => {
    const env = {
      KUBECONFIG: e2eKubeconfigPath(),
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      AUTH_LOCAL: 'true',
    };
    const first = await startApiProcess(env);
    processes.push(first);
    const origin = first.origin;
    const signIn = await fetch(`${origin}/auth/local`, { method: 'POST', headers: { Origin: origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const call = async (api: ApiProcess, path: string, body?: unknown) => {
      const res = await fetch(`${api.origin}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const project = await call(first, '/api/projects', { name: 'restart' });
    const service = await call(first, `/api/projects/${String(project.id)}/services`, {
      name: 'phoenix',
      repoUrl: 'https://github.com/acme/phoenix',
      port: 8080,
    });
    const namespace = String(project.namespace);
    const commit = sha();
    pods.set(commit, { log: LOG, logInterval: '700ms', runDuration: '7s' });

    const body = JSON.stringify(pushPayload({ repo: 'acme/phoenix', ref: 'refs/heads/main', after: commit }));
    const answer = await fetch(`${origin}/webhooks/github/${String(service.id)}`, {
      method: 'POST',
      headers: deliveryHeaders(String(service.webhookSecret), body, 'push'),
      body,
    });
    expect(answer.status).toBe(202);
    const { deploymentId } = (await answer.json()) as { deploymentId: string };

    // Killed while the build runs and its log streams in.
    await eventually('the build to run with some log stored', async () => {
      const d = await call(first, `/api/deployments/${deploymentId}`);
      return d.status === 'building' && String(d.buildLogs).includes('step 2') ? d : undefined;
    });
    await first.kill();

    const second = await startApiProcess(env, { dataDir: first.dataDir });
    processes.push(second);
    const live = await eventually(
      'the deployment to go live after the restart',
      async () => {
        const d = await call(second, `/api/deployments/${deploymentId}`);
        if (d.status === 'failed') throw new Error(`failed: ${String(d.reason)}`);
        return d.status === 'live' ? d : undefined;
      },
      120_000,
    );

    expect(live.buildLogs).toBe(LOG);
    expect(live.imageTag).toMatch(new RegExp(`^harbor\\.local/dangus/${namespace}/phoenix:${commit}@sha256:[0-9a-f]{64}$`));
    const kube = e2eKubeConfig();
    const jobName = `phoenix-build-${commit.slice(0, 7)}`;
    expect(await maybe(() => kube.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name: jobName }))).toBeUndefined();
    await eventually('the finished Job to be pruned', async () =>
      (await maybe(() => kube.makeApiClient(BatchV1Api).readNamespacedJob({ namespace, name: jobName }))) ? undefined : true,
    );
  });
});
