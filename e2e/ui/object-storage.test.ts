/**
 * The storage panel in a real browser, against the api as `npm start` runs it with a real
 * SeaweedFS as its object-storage backend: enable (the bucket, its endpoint and usage shown),
 * rotate the key, disable (the bucket kept), then "delete now" (gone from the backend too).
 */
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ProjectDto, ServiceDto } from '@dangus/common';
import { startSeaweedFs, type SeaweedFs } from '@dangus/api/test-support/seaweedfs';
import type { Browser, Page } from 'playwright-core';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { eventually, expectVisible, openBrowser, screenshot } from './browser.js';

describe('the storage panel', () => {
  let weed: SeaweedFs;
  let api: ApiProcess;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let admin: S3Client;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    admin = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin, forcePathStyle: true });
    api = await startApiProcess({
      OBJECT_STORAGE_ENDPOINT: weed.endpoint,
      OBJECT_STORAGE_ACCESS_KEY_ID: weed.admin.accessKeyId,
      OBJECT_STORAGE_SECRET_ACCESS_KEY: weed.admin.secretAccessKey,
    });
    ({ browser, page, pageErrors } = await openBrowser());
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await api.stop();
    admin.destroy();
    await weed.stop();
  });

  const url = (path: string) => new URL(path, api.origin).toString();
  const headers = () => ({ Origin: api.origin });
  const exists = (bucket: string) => admin.send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, () => false);

  it('enables a bucket and shows it, rotates its key, disables it and deletes it now', async () => {
    expect((await page.request.post(url('/auth/local'), { headers: headers() })).status()).toBeLessThan(300);
    const project = (await (await page.request.post(url('/api/projects'), { headers: headers(), data: { name: 'media' } })).json()) as ProjectDto;
    const service = (await (
      await page.request.post(url(`/api/projects/${project.id}/services`), { headers: headers(), data: { name: 'uploads', repoUrl: 'https://github.com/octocat/hello-world', port: 8080 } })
    ).json()) as ServiceDto;
    const bucket = `${project.namespace}--uploads`;

    await page.goto(url(`/services/${service.id}/environment`));
    const panel = page.locator('section#object-storage');
    await expectVisible(panel.getByText('Not enabled.'));
    await panel.getByRole('button', { name: 'Enable object storage' }).click();
    await expectVisible(panel.getByText('In use', { exact: true }));
    await expectVisible(panel.getByText(bucket));
    await expectVisible(panel.getByText(weed.endpoint));
    await expectVisible(panel.getByText('0 B in 0 objects'));
    expect(await exists(bucket)).toBe(true);

    // Usage as the backend counts it, after a reload.
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'cat.jpg', Body: Buffer.alloc(1536) }));
    await page.reload();
    await expectVisible(panel.getByText('1.5 KB in 1 object'));
    await screenshot(page, 'object-storage-panel');

    // Rotation shows the new key's id.
    const keyId = async () => (await panel.locator('dd code').first().textContent()) ?? '';
    const before = await keyId();
    await panel.getByRole('button', { name: 'Rotate key' }).click();
    await eventually('the new key id', async () => {
      const now = await keyId();
      return now !== '' && now !== before ? now : undefined;
    });

    // Disable: confirmed, the bucket kept with its date; "delete now" asks for its name.
    await panel.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable', exact: true }).click();
    await expectVisible(panel.getByText('Kept', { exact: true }));
    await expectVisible(panel.getByText('unless storage is enabled again'));
    expect(await exists(bucket)).toBe(true);
    await panel.getByRole('button', { name: 'Delete now' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox').fill(bucket);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectVisible(panel.getByText('Not enabled.'));
    expect(await exists(bucket)).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
