/**
 * External GitOps engines poked after every commit: the api with APPLIER=external annotates
 * Flux's GitRepository (`reconcile.fluxcd.io/requestedAt`, as `flux reconcile source git`
 * does) and calls a webhook signed as Flux's generic-hmac Receiver checks it. On the real
 * control plane with Flux's own GitRepository definition (from its Go module); Flux itself
 * does not run here (flux.test.ts runs it).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pollUntil } from '../cluster/src/util.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { installFluxCrds } from '../support/flux.js';

const SECRET = 'webhook-secret-for-the-receiver';

describe('api with APPLIER=external pokes Flux and a webhook after every commit', () => {
  let api: ApiProcess;
  let kube: KubeConfig;
  let hooks: Server;
  const received: { body: string; signature: string | undefined }[] = [];
  const namespace = `flux-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    const kubeconfig = process.env.DANGUS_E2E_KUBECONFIG;
    if (!kubeconfig) throw new Error('DANGUS_E2E_KUBECONFIG is unset: run through the e2e jest project.');
    kube = new KubeConfig();
    kube.loadFromFile(kubeconfig);
    await installFluxCrds(kube);
    await kube.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    await kube.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'source.toolkit.fluxcd.io', version: 'v1', namespace, plural: 'gitrepositories',
      body: {
        apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository',
        metadata: { name: 'dangus-state', namespace },
        spec: { interval: '10m', url: 'http://127.0.0.1:1/state.git', ref: { branch: 'main' } },
      },
    });
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const header = req.headers['x-signature'];
        received.push({ body, signature: typeof header === 'string' ? header : undefined });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    api = await startApiProcess({
      KUBECONFIG: kubeconfig,
      APPLIER: 'external',
      FLUX_GITREPOSITORY: `${namespace}/dangus-state`,
      GITOPS_WEBHOOK_URL: `http://127.0.0.1:${String((hooks.address() as AddressInfo).port)}/hook/receiver`,
      GITOPS_WEBHOOK_SECRET: SECRET,
    });
  }, 120_000);

  afterAll(async () => {
    hooks.close();
    await api.stop();
    await kube.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  const requestedAt = async (): Promise<string | undefined> => {
    const repo = (await kube.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'source.toolkit.fluxcd.io', version: 'v1', namespace, plural: 'gitrepositories', name: 'dangus-state',
    })) as { metadata?: { annotations?: Record<string, string> } };
    return repo.metadata?.annotations?.['reconcile.fluxcd.io/requestedAt'];
  };

  it('each commit sets a new reconcile request on the GitRepository and calls the webhook with a valid signature', async () => {
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const create = async (name: string) => {
      const res = await fetch(`${api.origin}/api/projects`, {
        method: 'POST',
        headers: { Origin: api.origin, Cookie: cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      expect(res.status).toBe(201);
    };
    // The api's start-up reconcile commit pokes once already: wait for it, then commit.
    await pollUntil(async () => (await requestedAt()) !== undefined, { what: 'the first poke', timeoutMs: 20_000, intervalMs: 100 });
    const before = await requestedAt();
    const hooksBefore = received.length;
    const started = Date.now();
    await create('poked');
    const after = await pollUntil(async () => {
      const value = await requestedAt();
      return value !== before ? value : undefined;
    }, { what: 'a new reconcile request after the commit', timeoutMs: 20_000, intervalMs: 50 });
    expect(Date.parse(after)).toBeGreaterThanOrEqual(started - 1_000);
    await pollUntil(() => Promise.resolve(received.length > hooksBefore), { what: 'the webhook after the commit', timeoutMs: 20_000, intervalMs: 50 });
    for (const hook of received) {
      expect(JSON.parse(hook.body)).toEqual({ source: 'dangus', event: 'commit' });
      expect(hook.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(hook.body).digest('hex')}`);
    }
  });
});
