// Object storage on a real node (README "Object storage"): SeaweedFS on the node IP, where
// the pods reach it only through the tenant's `object-storage-egress` policy (the node's
// kube-router enforces the tenants' egress policies). An app built from its Dockerfile by
// the real pipeline writes an object with the variables the platform injects, and after a
// redeploy (a new push, a new pod) reads it back and answers with its bytes through Traefik.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { startSeaweedFs, type SeaweedFs } from '@dangus/api/test-support/seaweedfs';
import { BASE_DOMAIN, commitApp, createProject, createService, eventually, push, startRealWorld, viaIngress, waitForStatus, type RealWorld } from './support.js';
import { S3_CGI } from './s3-app.js';

describe('object storage on a real node', () => {
  let world: RealWorld;
  let weed: SeaweedFs | undefined;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`), {
      beforePlatform: async (node) => {
        const started = await startSeaweedFs({ ip: node.ip });
        weed = started;
        return {
          env: {
            OBJECT_STORAGE_ENDPOINT: started.endpoint,
            OBJECT_STORAGE_ACCESS_KEY_ID: started.admin.accessKeyId,
            OBJECT_STORAGE_SECRET_ACCESS_KEY: started.admin.secretAccessKey,
            // The node IP is among the addresses tenant egress denies: the apps may reach it here.
            OBJECT_STORAGE_EGRESS_CIDR: `${node.ip}/32`,
          },
          stop: () => started.stop(),
        };
      },
    });
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('an app writes an object with the injected variables and, after a redeploy, reads its bytes back through Traefik', async () => {
    if (!weed) throw new Error('SeaweedFS did not start');
    const project = await createProject(world, 'files');
    const service = await createService(world, project.id, { name: 'web' });
    const enabled = await request(world.platform.app)
      .put(`/api/services/${service.id}/object-storage`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .expect(201);
    const bucket = (enabled.body as { bucket: { bucket: string } }).bucket.bucket;
    // The tenant's policy lets its apps reach the endpoint, and only on its port.
    const policy = await world.networking.readNamespacedNetworkPolicy({ namespace: project.namespace, name: 'object-storage-egress' });
    expect(policy.spec?.egress).toEqual([{ to: [{ ipBlock: { cidr: `${world.node.ip}/32` } }], ports: [{ protocol: 'TCP', port: Number(new URL(weed.endpoint).port) }] }]);

    const first = await commitApp(world, { version: 'one', cgi: { s3: S3_CGI } });
    await waitForStatus(world, await push(world, service, first), 'live');
    const host = `${service.subdomain}.${BASE_DOMAIN}`;
    const word = `bytes-${randomBytes(8).toString('hex')}`;
    const put = await eventually('the app to store an object', async () => {
      const res = await viaIngress(world, host, `/cgi-bin/s3?put=${word}`);
      return res.status === 200 && /^HTTP\/1\.\d 200/m.test(res.body) ? res.body : undefined;
    }, 60_000);
    expect(put).toMatch(/HTTP\/1\.\d 200 OK/);
    // The server holds what the app wrote, in the service's bucket.
    const admin = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin, forcePathStyle: true });
    try {
      const stored = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'app/greeting.txt' }));
      expect(await stored.Body?.transformToString()).toBe(word);
    } finally {
      admin.destroy();
    }

    // A redeploy: a new commit, a new build, a new pod with the same bucket's variables.
    const second = await commitApp(world, { version: 'two', cgi: { s3: S3_CGI } });
    await waitForStatus(world, await push(world, service, second), 'live');
    const read = await eventually('the new pod to read the object back', async () => {
      const version = await viaIngress(world, host, '/cgi-bin/app');
      if (!version.body.includes('version=two')) return undefined;
      const res = await viaIngress(world, host, '/cgi-bin/s3?get');
      return res.status === 200 ? res.body : undefined;
    }, 120_000);
    expect(read.trim()).toBe(word);
  }, 900_000);
});
