/**
 * Object storage on the real control plane: enabling, rotating and disabling a service's
 * bucket (a real SeaweedFS) each roll the current image out again with the bucket's
 * variables in the service's env Secret, the same path as env values, and none in git.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { startSeaweedFs, type SeaweedFs } from '@dangus/api/test-support/seaweedfs';
import { createProject, createService, eventually, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

const exec = promisify(execFile);

describe('object storage through the env Secret', () => {
  let weed: SeaweedFs;
  let world: PipelineWorld;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    world = await startWorld({
      OBJECT_STORAGE_ENDPOINT: weed.endpoint,
      OBJECT_STORAGE_APP_ENDPOINT: 'http://seaweedfs.storage.svc:8333',
      OBJECT_STORAGE_ACCESS_KEY_ID: weed.admin.accessKeyId,
      OBJECT_STORAGE_SECRET_ACCESS_KEY: weed.admin.secretAccessKey,
    });
  }, 120_000);
  afterAll(async () => {
    await world.close();
    await weed.stop();
  });

  it('enable, rotate and disable each roll out, the variables in the env Secret and never in git', async () => {
    const project = await createProject(world, 'media');
    const service = await createService(world, project.id, 'files');
    const commit = sha();
    world.pods.set(commit, { log: 'built\n' });
    await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live');
    const call = (method: 'put' | 'post' | 'delete', path: string) =>
      request(world.platform.app)[method](`/api/services/${service.id}/object-storage${path}`).set({ Origin: ORIGIN, Cookie: world.cookie });
    const secretData = async () => {
      const secret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'files-env' });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    };
    const revision = async () =>
      (await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'files' })).spec?.template.metadata?.annotations?.['dangus.cloud/env-revision'];
    const latestConfigRollout = async () => {
      const list = await request(world.platform.app).get(`/api/services/${service.id}/deployments`).set({ Cookie: world.cookie }).expect(200);
      const row = (list.body as { id: string; trigger: string }[])[0];
      expect(row?.trigger).toBe('config');
      return waitForStatus(world, String(row?.id), 'live');
    };
    const before = await revision();

    await call('put', '').expect(201);
    await latestConfigRollout();
    const bucket = `${project.namespace}--files`;
    const enabled = await secretData();
    expect(enabled).toEqual({
      AWS_ENDPOINT_URL_S3: 'http://seaweedfs.storage.svc:8333',
      AWS_ACCESS_KEY_ID: expect.any(String) as string,
      AWS_SECRET_ACCESS_KEY: expect.any(String) as string,
      AWS_REGION: 'us-east-1',
      BUCKET_NAME: bucket,
      AWS_S3_FORCE_PATH_STYLE: 'true',
    });
    const afterEnable = await eventually('the new env revision in the cluster', async () => ((await revision()) !== before ? revision() : undefined));

    const rotated = (await call('post', '/rotate').expect(200)).body as { bucket: { accessKeyId: string } };
    await latestConfigRollout();
    const afterRotate = await secretData();
    expect(afterRotate.AWS_ACCESS_KEY_ID).toBe(rotated.bucket.accessKeyId);
    expect(afterRotate.AWS_ACCESS_KEY_ID).not.toBe(enabled.AWS_ACCESS_KEY_ID);
    expect(afterRotate.AWS_SECRET_ACCESS_KEY).not.toBe(enabled.AWS_SECRET_ACCESS_KEY);
    await eventually('the rotated env revision in the cluster', async () => ((await revision()) !== afterEnable ? true : undefined));

    await call('delete', '').expect(200);
    await latestConfigRollout();
    expect(await secretData()).toEqual({});

    // The state repo holds none of the values, in any commit.
    const history = (await exec('git', ['--git-dir', world.platform.stateRepoDir, 'log', '-p', '--all'], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    for (const value of [enabled.AWS_SECRET_ACCESS_KEY, afterRotate.AWS_SECRET_ACCESS_KEY, enabled.AWS_ACCESS_KEY_ID, 'seaweedfs.storage.svc']) {
      expect(history).not.toContain(value);
    }
  });
});
