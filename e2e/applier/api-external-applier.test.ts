/**
 * The installed topology's split: the api with APPLIER=external runs no applier of
 * its own (its pipeline still has the cluster), and a separate applier, here an
 * Applier pulling /state.git over smart HTTP with the token as the installed
 * Deployment does, behind its HTTP handler with APPLIER_TOKEN, brings a project
 * created through the API into the cluster when the api notifies it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Applier, HttpRepoSource, applierHttpHandler } from '@dangus/applier';
import { pollUntil } from '../cluster/src/util.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';

const TOKEN = 'state-repo-token-for-the-applier';
const APPLIER_TOKEN = 'applier-token-for-the-notify';

describe('api with APPLIER=external and a separate applier, on the real control plane', () => {
  let api: ApiProcess;
  let kube: KubeConfig;
  let applier: Applier;
  let cacheDir: string;
  let notifyServer: Server;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();

  beforeAll(async () => {
    const kubeconfig = process.env.DANGUS_E2E_KUBECONFIG;
    if (!kubeconfig) throw new Error('DANGUS_E2E_KUBECONFIG is unset: run through the e2e jest project.');
    kube = new KubeConfig();
    kube.loadFromFile(kubeconfig);
    cacheDir = await mkdtemp(join(tmpdir(), 'dangus-applier-cache-'));
    notifyServer = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
    const notifyUrl = `http://127.0.0.1:${String((notifyServer.address() as AddressInfo).port)}/notify`;
    api = await startApiProcess({ KUBECONFIG: kubeconfig, APPLIER: 'external', STATE_REPO_TOKEN: TOKEN, APPLIER_NOTIFY_URL: notifyUrl, APPLIER_TOKEN: APPLIER_TOKEN });
    applier = new Applier({
      kube,
      source: new HttpRepoSource({ url: `${api.origin}/state.git`, token: TOKEN, cacheDir: join(cacheDir, 'state.git') }),
      inventoryName: `inventory-external-${Date.now().toString(36)}`,
      // No resync within the test: only the api's notify makes it sync.
      resyncIntervalMs: 600_000,
    });
    handler = applierHttpHandler(applier, { token: APPLIER_TOKEN });
  }, 120_000);

  afterAll(async () => {
    notifyServer.close();
    await applier.stop();
    await api.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('the api applies nothing itself; notified after the commit, the separate applier brings the new project into the cluster', async () => {
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
    // The separate applier never resyncs within this test (600 s): the api's notify
    // after the commit is what makes it sync, and it is the one that applies.
    await pollUntil(() => core.readNamespace({ name: namespace }).then(() => true, () => false), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `namespace ${namespace} after the notify`,
    });
    const head = (await (await fetch(`${api.origin}/api/system/state-repo`, { headers: { Cookie: cookie } })).json()) as { head: string };
    await pollUntil(() => Promise.resolve(applier.status().appliedCommit === head.head), { timeoutMs: 30_000, intervalMs: 200, what: 'the head to be applied' });
  });
});
