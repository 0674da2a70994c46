/**
 * The System page's certificates (issue 34) in a real browser against the real api with a
 * real Kubernetes API: cert-manager's Certificates (their CRD served by the control plane,
 * their status written as cert-manager writes it) that fail or expire within 14 days are
 * listed with cert-manager's reason in plain words; a healthy one is not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { kubectl } from '../bootstrap/kustomize.js';
import { e2eKubeconfigPath } from '../cluster/src/index.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { CERTIFICATE_CRD, certificateYaml } from '../support/certificate-crd.js';
import { expectVisible, openBrowser, screenshot } from './browser.js';

const DAY = 24 * 3_600_000;

describe('the System page\'s certificates', () => {
  let browser: Browser;
  let api: ApiProcess;
  let dir: string;
  const ns = `certs-${randomBytes(3).toString('hex')}`;
  const k = (args: string[]) => kubectl(['--kubeconfig', e2eKubeconfigPath(), ...args]);
  const apply = async (yaml: string) => {
    const file = join(dir, `${randomBytes(4).toString('hex')}.yaml`);
    await writeFile(file, yaml);
    await k(['apply', '-f', file]);
  };
  const setStatus = (name: string, status: object) =>
    k(['-n', ns, 'patch', 'certificate', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-certs-'));
    await apply(CERTIFICATE_CRD);
    await k(['wait', '--for=condition=Established', 'crd/certificates.cert-manager.io', '--timeout=60s']);
    await k(['create', 'namespace', ns]);
    const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const [name, host] of [['failing', 'shop.example.org'], ['expiring', 'blog.example.org'], ['healthy', 'fine.example.org']] as const) {
      await apply(certificateYaml(ns, name, [host]));
    }
    // A renewal refused by the ACME server: still Ready (the old one serves), Issuing failed.
    await setStatus('failing', {
      notAfter: inDays(20),
      lastFailureTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' },
        { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried: 403 urn:ietf:params:acme:error:unauthorized' },
      ],
    });
    await setStatus('expiring', { notAfter: inDays(5), conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }] });
    await setStatus('healthy', { notAfter: inDays(60), conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }] });
    api = await startApiProcess({ KUBECONFIG: e2eKubeconfigPath() });
    ({ browser } = await openBrowser());
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
    await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the failing and the expiring ones with the reason, and not the healthy one', async () => {
    const url = (path: string) => new URL(path, api.origin).toString();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    expect((await page.request.post(url('/auth/local'), { headers: { Origin: new URL(api.origin).origin } })).status()).toBeLessThan(300);

    await page.goto(url('/system'));
    const panel = page.locator('section#certificates');
    const failing = panel.getByRole('listitem', { name: `${ns}/failing` });
    await expectVisible(failing.getByText('Failing'));
    await expectVisible(failing.getByText('The ACME server refused to issue the certificate.'));
    await expectVisible(failing.getByText(/403 urn:ietf:params:acme:error:unauthorized/));
    const expiring = panel.getByRole('listitem', { name: `${ns}/expiring` });
    await expectVisible(expiring.getByText('Expiring soon'));
    await expectVisible(expiring.getByText('blog.example.org'));
    await expectVisible(expiring.getByText('expires in 5 days'));
    await expectVisible(failing.getByText('expires in 20 days'));
    expect(await panel.getByRole('listitem', { name: `${ns}/healthy` }).count()).toBe(0);
    expect(await panel.getByText('fine.example.org').count()).toBe(0);
    await screenshot(page, 'system-certificates');
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
