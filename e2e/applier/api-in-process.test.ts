/**
 * The embedded default with a kubeconfig: the api runs the applier in-process,
 * so a project created through the API becomes a namespace in the cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';

describe('api with the in-process applier, on the real control plane', () => {
  let api: ApiProcess;
  let core: CoreV1Api;
  let networking: NetworkingV1Api;

  beforeAll(async () => {
    const kubeconfig = process.env.DANGUS_E2E_KUBECONFIG;
    if (!kubeconfig) throw new Error('DANGUS_E2E_KUBECONFIG is unset: run through the e2e jest project.');
    api = await startApiProcess({ KUBECONFIG: kubeconfig });
    const kube = new KubeConfig();
    kube.loadFromFile(kubeconfig);
    core = kube.makeApiClient(CoreV1Api);
    networking = kube.makeApiClient(NetworkingV1Api);
  }, 120_000);

  afterAll(async () => {
    await api.stop();
  });

  /** A signed-in call to the api process: the status and the parsed body. */
  async function call(cookie: string, method: string, path: string, body?: object): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${api.origin}${path}`, {
      method,
      headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('two projects each with a service web: both are served, each at its own host in the cluster', async () => {
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const hosts: string[] = [];
    for (const name of ['staging', 'prod']) {
      const project = await call(cookie, 'POST', '/api/projects', { name });
      expect(project.status).toBe(201);
      const service = await call(cookie, 'POST', `/api/projects/${String(project.body.id)}/services`, {
        name: 'web', repoUrl: 'https://github.com/octocat/hello-world', port: 8080,
      });
      expect(service.status).toBe(201);
      const namespace = String(project.body.namespace);
      // The Ingress the applier applied from the commit: the host the api gave the service.
      let host: string | undefined;
      for (let i = 0; i < 300 && host === undefined; i += 1) {
        host = await networking
          .readNamespacedIngress({ namespace, name: 'web' })
          .then((ingress) => ingress.spec?.rules?.[0]?.host)
          .catch(() => undefined);
        if (host === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(host).toBe(new URL(String(service.body.publicUrl)).host);
      expect(host).toBe(`${namespace}--web.dangus.localhost`);
      hosts.push(host ?? '');
    }
    expect(new Set(hosts).size).toBe(2);
  });

  it('a project created through the API appears as a namespace, and the applier reports its commit', async () => {
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const created = await fetch(`${api.origin}/api/projects`, {
      method: 'POST',
      headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'applied' }),
    });
    expect(created.status).toBe(201);
    const { namespace } = (await created.json()) as { namespace: string };

    let found: { labels?: Record<string, string> } | undefined;
    for (let i = 0; i < 300 && !found; i += 1) {
      found = await core
        .readNamespace({ name: namespace })
        .then((ns) => ns.metadata)
        .catch(() => undefined);
      if (!found) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found?.labels).toEqual(expect.objectContaining({ 'app.kubernetes.io/managed-by': 'dangus' }));

    const state = (await (await fetch(`${api.origin}/api/system/state-repo`, { headers: { Cookie: cookie } })).json()) as { head: string };
    let applied: string | null = null;
    for (let i = 0; i < 300 && applied !== state.head; i += 1) {
      const status = (await (await fetch(`${api.origin}/api/system/applier`, { headers: { Cookie: cookie } })).json()) as {
        appliedCommit: string | null;
      };
      applied = status.appliedCommit;
      if (applied !== state.head) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(applied).toBe(state.head);

    // The pipeline's informers are listed beside the applier's status.
    let watcher: Record<string, { synced: boolean; restarts: number }> | null = null;
    for (let i = 0; i < 300 && !Object.values(watcher ?? { x: { synced: false } }).every((w) => w.synced); i += 1) {
      const status = (await (await fetch(`${api.origin}/api/system/applier`, { headers: { Cookie: cookie } })).json()) as {
        watcher: Record<string, { synced: boolean; restarts: number }> | null;
      };
      watcher = status.watcher;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(watcher).toEqual({
      jobs: { synced: true, restarts: 0 },
      pods: { synced: true, restarts: 0 },
      deployments: { synced: true, restarts: 0 },
    });
  });
});

describe('the shared registry robot, at the controller start', () => {
  const robot = { username: 'robot$dangus+builder', password: 'shared-robot-at-start-9d2c' };

  it("writes every existing tenant's pull Secret, so Deployments that start naming it find it", async () => {
    const kubeconfig = process.env.DANGUS_E2E_KUBECONFIG;
    if (!kubeconfig) throw new Error('DANGUS_E2E_KUBECONFIG is unset: run through the e2e jest project.');
    const kube = new KubeConfig();
    kube.loadFromFile(kubeconfig);
    const core = kube.makeApiClient(CoreV1Api);
    const env = { KUBECONFIG: kubeconfig, HARBOR_USERNAME: robot.username, HARBOR_PASSWORD: robot.password };
    const dataDir = await mkdtemp(join(tmpdir(), 'dangus-e2e-pull-'));
    const pullSecret = (namespace: string) => core.readNamespacedSecret({ namespace, name: 'dangus-registry' }).catch(() => undefined);
    try {
      // An install with a tenant that never built: its namespace has no pull Secret yet.
      const before = await startApiProcess(env, { dataDir });
      const signIn = await fetch(`${before.origin}/auth/local`, { method: 'POST', headers: { Origin: before.origin } });
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const created = await fetch(`${before.origin}/api/projects`, {
        method: 'POST',
        headers: { Origin: before.origin, Cookie: cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'upgraded' }),
      });
      expect(created.status).toBe(201);
      const { namespace } = (await created.json()) as { namespace: string };
      for (let i = 0; i < 300 && !(await core.readNamespace({ name: namespace }).catch(() => undefined)); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await pullSecret(namespace)).toBeUndefined();
      await before.stopKeepingData();

      // The next start (an upgrade, a restart) writes it before anything is rendered.
      const after = await startApiProcess(env, { dataDir });
      try {
        let secret = await pullSecret(namespace);
        for (let i = 0; i < 100 && !secret; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          secret = await pullSecret(namespace);
        }
        expect(secret?.type).toBe('kubernetes.io/dockerconfigjson');
        const config = JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { auth: string }> };
        expect(config.auths['harbor.local']?.auth).toBe(Buffer.from(`${robot.username}:${robot.password}`).toString('base64'));
      } finally {
        await after.stopKeepingData();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
