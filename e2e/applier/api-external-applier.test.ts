/**
 * The installed topology's split: the api with APPLIER=external runs no applier of
 * its own (its pipeline still has the cluster), and a separate applier, here an
 * Applier pulling /state.git over smart HTTP with the token as the installed
 * Deployment does, brings a project created through the API into the cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Applier, HttpRepoSource } from '@dangus/gitops-writer';
import { pollUntil } from '../cluster/src/util.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';

const TOKEN = 'state-repo-token-for-the-applier';

describe('api with APPLIER=external and a separate applier, on the real control plane', () => {
  let api: ApiProcess;
  let kube: KubeConfig;
  let applier: Applier;
  let cacheDir: string;

  beforeAll(async () => {
    const kubeconfig = process.env.DANGUS_E2E_KUBECONFIG;
    if (!kubeconfig) throw new Error('DANGUS_E2E_KUBECONFIG is unset: run through the e2e jest project.');
    api = await startApiProcess({ KUBECONFIG: kubeconfig, APPLIER: 'external', STATE_REPO_TOKEN: TOKEN });
    kube = new KubeConfig();
    kube.loadFromFile(kubeconfig);
    cacheDir = await mkdtemp(join(tmpdir(), 'dangus-applier-cache-'));
    applier = new Applier({
      kube,
      source: new HttpRepoSource({ url: `${api.origin}/state.git`, token: TOKEN, cacheDir: join(cacheDir, 'state.git') }),
      inventoryName: `inventory-external-${Date.now().toString(36)}`,
      resyncIntervalMs: 500,
    });
  }, 120_000);

  afterAll(async () => {
    await applier.stop();
    await api.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('the api applies nothing itself; the separate applier brings the new project into the cluster', async () => {
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // No applier in this process: the system view says so.
    expect((await fetch(`${api.origin}/api/system/applier`, { headers: { Cookie: cookie } })).status).toBe(404);

    const created = await fetch(`${api.origin}/api/projects`, {
      method: 'POST',
      headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'external' }),
    });
    expect(created.status).toBe(201);
    const { namespace } = (await created.json()) as { namespace: string };
    const core = kube.makeApiClient(CoreV1Api);
    const present = () => core.readNamespace({ name: namespace }).then(() => true, () => false);
    // Nothing applies it until the separate applier runs (an in-process applier takes
    // about 0.1 s to create it after the commit the API answered after).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await present()).toBe(false);

    applier.start();
    await pollUntil(present, { timeoutMs: 60_000, intervalMs: 200, what: `namespace ${namespace}` });
    const head = (await (await fetch(`${api.origin}/api/system/state-repo`, { headers: { Cookie: cookie } })).json()) as { head: string };
    await pollUntil(() => Promise.resolve(applier.status().appliedCommit === head.head), { timeoutMs: 30_000, intervalMs: 200, what: 'the head to be applied' });
  });
});
