// Releases and rollback on the real control plane: a rollback restores a release whole
// (image, configuration, env values) with exactly one commit, goes live like any other
// deployment, and refuses what cannot be restored.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import type { DeploymentDto, RollbackPreviewDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { createProject, createService, deployment, eventually, push, secretApplies, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

const exec = promisify(execFile);

describe('rollback to an earlier release', () => {
  let world: PipelineWorld;
  let project: { id: string; namespace: string };
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', world.platform.stateRepoDir, ...args])).stdout;
  const api = () => request(world.platform.app);
  const as = (cookie: string) => ({ Origin: ORIGIN, Cookie: cookie });

  beforeAll(async () => {
    world = await startWorld();
    project = await createProject(world, 'releases');
  });
  afterAll(async () => {
    await world.close();
  });

  async function pushLive(service: Awaited<ReturnType<typeof createService>>): Promise<DeploymentDto> {
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    const id = String((await push(world, service, commit)).body.deploymentId);
    return waitForStatus(world, id, 'live');
  }

  async function envSecret(service: string): Promise<Record<string, string>> {
    const secret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: `${service}-env` });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  }

  it('push A, env change B, push C, roll back to A: A\'s image and env values run, with one commit of image and annotation', async () => {
    const service = await createService(world, project.id, 'shop');
    const headers = as(world.cookie);
    const color = (await api().post(`/api/services/${service.id}/env`).set(headers).send({ key: 'COLOR', value: 'red' }).expect(201)).body as { id: string };
    const a = await pushLive(service);

    await api().patch(`/api/services/${service.id}/env/${color.id}`).set(headers).send({ value: 'blue' }).expect(200);
    const b = await eventually('the env change to roll out', async () => {
      const list = (await api().get(`/api/services/${service.id}/deployments`).set(headers).expect(200)).body as DeploymentDto[];
      const config = list.find((d) => d.trigger === 'config');
      return config?.status === 'live' ? config : undefined;
    });
    await api().post(`/api/services/${service.id}/env`).set(headers).send({ key: 'EXTRA', value: 'only-in-c' }).expect(201);
    const c = await pushLive(service);
    expect(await envSecret('shop')).toEqual({ COLOR: 'blue', EXTRA: 'only-in-c' });
    const runningC = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'shop' });
    expect(runningC.spec?.template.spec?.containers[0]?.image).toBe(c.imageTag);
    expect(b.restorable).toBe(true);

    // What it would change: the image, and env keys (never values).
    const preview = (await api().get(`/api/deployments/${a.id}/rollback`).set(headers).expect(200)).body as RollbackPreviewDto;
    expect(preview).toMatchObject({
      restorable: true,
      image: { from: c.imageTag, to: a.imageTag },
      config: [],
      env: { added: [], removed: ['EXTRA'], changed: ['COLOR'] },
    });
    expect(JSON.stringify(preview)).not.toContain('red');

    const headBefore = (await git('rev-parse', 'HEAD')).trim();
    const appliesBefore = await secretApplies(world.kube);
    const rollback = (await api().post(`/api/deployments/${a.id}/rollback`).set(headers).expect(202)).body as DeploymentDto;
    expect(rollback).toMatchObject({ trigger: 'rollback', status: 'deploying', rollbackOf: a.id, imageTag: a.imageTag, commitSha: a.commitSha });
    const live = await waitForStatus(world, rollback.id, 'live');
    expect(live.imageTag).toBe(a.imageTag);

    // One env Secret write (the apiserver's count of Secret applies) and one render: the
    // rollback's change is the only one the writer was handed for this deployment.
    expect((await secretApplies(world.kube)) - appliesBefore).toBe(1);
    const renders = (await world.platform.intents()).filter((change) => change.deploymentId === rollback.id);
    expect(renders.map((change) => [change.verb, change.envSecretOf, change.done])).toEqual([['rollback', service.id, true]]);

    // The cluster runs A's image with A's env values and env revision.
    const running = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'shop' });
    expect(running.spec?.template.spec?.containers[0]?.image).toBe(a.imageTag);
    expect(await envSecret('shop')).toEqual({ COLOR: 'red' });
    const envList = (await api().get(`/api/services/${service.id}/env`).set(headers).expect(200)).body as { key: string }[];
    expect(envList.map((e) => e.key)).toEqual(['COLOR']);

    // Exactly one commit since, with the image and the env-revision annotation as its change.
    const commits = (await git('log', '--format=%H%x09%s', `${headBefore}..HEAD`)).trim().split('\n');
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatch(new RegExp(`\\trollback\\(${project.namespace}/shop\\): to ${a.commitSha.slice(0, 7)} \\(deployment ${a.id}\\)$`));
    const diff = await git('show', '--format=', '--unified=0', 'HEAD');
    const changed = diff.split('\n').filter((line) => /^[-+] /.test(line)).map((line) => line.replace(/^[-+]\s+/, '').split(':')[0]);
    expect([...new Set(changed)].sort()).toEqual(['dangus.cloud/deployment', 'dangus.cloud/env-revision', 'image']);
    expect(await git('show', 'HEAD')).toContain(`Dangus-Deployment: ${rollback.id}`);

    // The row history shows it.
    const rows = (await api().get(`/api/services/${service.id}/deployments`).set(headers).expect(200)).body as DeploymentDto[];
    expect(rows[0]).toMatchObject({ id: rollback.id, trigger: 'rollback', status: 'live', rollbackOf: a.id });
  });

  it('refuses a stranger (404), a release that never went live (409), and one whose image is gone (409); a rollback supersedes a build', async () => {
    const service = await createService(world, project.id, 'guarded');
    const headers = as(world.cookie);
    const good = await pushLive(service);
    const bad = sha();
    world.pods.set(bad, { log: 'boom\n', fail: true, exitCode: 1 });
    const failed = await waitForStatus(world, String((await push(world, service, bad)).body.deploymentId), 'failed');

    const stranger = await world.platform.signIn('mallory', 31337);
    await api().post(`/api/deployments/${good.id}/rollback`).set(as(stranger)).expect(404);
    await api().get(`/api/deployments/${good.id}/rollback`).set(as(stranger)).expect(404);
    await api().post('/api/deployments/not-a-uuid/rollback').set(headers).expect(404);
    const never = await api().post(`/api/deployments/${failed.id}/rollback`).set(headers).expect(409);
    expect(never.body.error.message).toMatch(/never went live/);

    // A build in progress is superseded by the rollback, as by a push.
    const slow = sha();
    world.pods.set(slow, { log: 'compiling…\n', runDuration: '120s' });
    const building = String((await push(world, service, slow)).body.deploymentId);
    await waitForStatus(world, building, 'building');
    const rollback = (await api().post(`/api/deployments/${good.id}/rollback`).set(headers).expect(202)).body as DeploymentDto;
    expect((await deployment(world, building)).reason).toBe(`superseded by a rollback to ${good.commitSha.slice(0, 7)}`);
    await waitForStatus(world, rollback.id, 'live');

    await world.platform.db.query(`UPDATE deployments SET image_deleted_at = now() WHERE id = $1`, [good.id]);
    const gone = await api().post(`/api/deployments/${good.id}/rollback`).set(headers).expect(409);
    expect(gone.body.error.message).toMatch(/image of this release was deleted/);
    expect(((await deployment(world, good.id))).restorable).toBe(false);
  });

  it('a config change that fails restores the previous release\'s env values and configuration', async () => {
    const service = await createService(world, project.id, 'fragile');
    const headers = as(world.cookie);
    await api().post(`/api/services/${service.id}/env`).set(headers).send({ key: 'MODE', value: 'good' }).expect(201);
    const good = await pushLive(service);
    // The simulated pods crash from now on for this image's next rollout.
    world.pods.set(good.commitSha, { log: 'ok\n', crashLoop: true });
    await api().post(`/api/services/${service.id}/env`).set(headers).send({ key: 'MODE_EXTRA', value: 'bad' }).expect(201);
    const config = await eventually('the config rollout to fail', async () => {
      const list = (await api().get(`/api/services/${service.id}/deployments`).set(headers).expect(200)).body as DeploymentDto[];
      const row = list.find((d) => d.trigger === 'config');
      return row?.status === 'failed' ? row : undefined;
    }, 120_000);
    expect(config.reason).toMatch(/crash/);
    await eventually('the env values of the last release', async () => {
      const keys = ((await api().get(`/api/services/${service.id}/env`).set(headers).expect(200)).body as { key: string }[]).map((e) => e.key);
      return keys.join(',') === 'MODE' ? keys : undefined;
    });
    // The rows are restored first, the env Secret right after (the writer writes it before the rollback's commit).
    await eventually('the env Secret of the last release', async () => {
      const secret = await envSecret('fragile');
      return JSON.stringify(secret) === JSON.stringify({ MODE: 'good' }) ? secret : undefined;
    });
    // The automatic rollback is one change (one render, one env Secret write), in the rows' transaction.
    await world.platform.pipeline?.pipeline.idle();
    const rollbacks = await eventually('the rollback committed', async () => {
      const changes = (await world.platform.intents()).filter((change) => change.deploymentId === config.id && change.summary.startsWith('roll back'));
      return changes.every((change) => change.done) ? changes : undefined;
    });
    expect(rollbacks.map((change) => [change.summary, change.envSecretOf, change.done])).toEqual([[`roll back to ${good.commitSha.slice(0, 7)}`, service.id, true]]);
  });
});
