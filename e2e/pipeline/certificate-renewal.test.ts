// A certificate that was valid and fails to renew is an event its service's owner sees
// (the service's activity, cert-manager's reason in plain words), told once; admins see it
// failing on the System page's list. The real platform (role all, leader) against a real
// Kubernetes API serving cert-manager's Certificate CRD, whose status the test writes as
// cert-manager would.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from '@dangus/api/test-support/platform';
import { kubectl } from '../bootstrap/kustomize.js';
import { e2eKubeconfigPath } from '../cluster/src/index.js';
import { CERTIFICATE_CRD, certificateYaml } from '../support/certificate-crd.js';

describe('a certificate failing to renew', () => {
  let t: TestPlatform;
  let dir: string;
  let cookie: string;
  let serviceId: string;
  const ns = `renewal-${randomBytes(3).toString('hex')}`;
  const k = (args: string[]) => kubectl(['--kubeconfig', e2eKubeconfigPath(), ...args]);
  const setStatus = (status: object) => k(['-n', ns, 'patch', 'certificate', 'blog', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  const activity = async () =>
    ((await request(t.app).get(`/api/services/${serviceId}/activity`).set('Cookie', cookie).expect(200)).body as { action: string; subject: string; actor: string }[]).filter(
      (a) => a.action === 'certificate.failed',
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-renewal-'));
    await writeFile(join(dir, 'crd.yaml'), CERTIFICATE_CRD);
    await k(['apply', '-f', join(dir, 'crd.yaml')]);
    await k(['wait', '--for=condition=Established', 'crd/certificates.cert-manager.io', '--timeout=60s']);
    await k(['create', 'namespace', ns]);
    await writeFile(join(dir, 'cert.yaml'), certificateYaml(ns, 'blog', ['blog.example.org']));
    await k(['apply', '-f', join(dir, 'cert.yaml')]);
    t = await startTestPlatform({ BASE_DOMAIN: 'apps.test', CERT_ISSUER: 'letsencrypt' }, { cluster: { kubeconfig: e2eKubeconfigPath() } });
    cookie = await t.signIn('octocat', 4242);
    const project = await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'blog' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set('Cookie', cookie)
      .set('Origin', ORIGIN)
      .send({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 })
      .expect(201);
    serviceId = service.body.id as string;
    // The domain as the checks leave it: verified, routed, its certificate asked for.
    await t.db.query(
      `INSERT INTO custom_domains (service_id, domain, token, status, verified_at, routing, certificate_requested_at)
       VALUES ($1, 'blog.example.org', 'dangus-verify=x', 'verified', now(), '{"ok":true,"message":"ok","at":"2026-01-01T00:00:00Z"}', now())`,
      [serviceId],
    );
  }, 180_000);
  afterAll(async () => {
    await t.close();
    await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    await rm(dir, { recursive: true, force: true });
  });

  it('tells the owner once, with the reason, when a valid certificate starts failing', async () => {
    const watch = t.controller.certificates;
    if (!watch) throw new Error('no renewal watch: the controller has a cluster and CERT_ISSUER');
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Issuing for the first time, then failing: never valid, nothing to tell (the panel shows it).
    await setStatus({ conditions: [{ type: 'Issuing', status: 'False', reason: 'Failed', message: 'first issuance refused' }] });
    expect(await watch.pass()).toBe(0);
    // Valid.
    await setStatus({ notAfter: inDays(30), conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }, { type: 'Issuing', status: 'False', reason: 'Done' }] });
    expect(await watch.pass()).toBe(0);
    expect(await activity()).toEqual([]);
    // Its renewal refused by the ACME server: told once, in words, with cert-manager's reason.
    await setStatus({
      notAfter: inDays(29),
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Ready' },
        { type: 'Issuing', status: 'False', reason: 'Failed', message: '429 urn:ietf:params:acme:error:rateLimited' },
      ],
    });
    expect(await watch.pass()).toBe(1);
    expect(await watch.pass()).toBe(0);
    const told = await activity();
    expect(told).toHaveLength(1);
    expect(told[0]?.actor).toBe('cert-manager');
    expect(told[0]?.subject).toMatch(/^blog\.example\.org: The ACME server refused to issue the certificate\. cert-manager says: 429 urn:ietf:params:acme:error:rateLimited/);
  });
});
