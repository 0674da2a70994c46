// The service's shape is declared once (`serviceConfigSchema` in common): every field of it
// reaches the DTO, the renderer's input (through the tenant loader and the render schema) and,
// for the runtime fields, the release a rollout records and a rollback restores. The test walks
// the schema's own field list, so a field added to the schema but dropped on one of these
// paths fails here; on real PostgreSQL, through the api.
import {
  SERVICE_CONFIG_FIELDS,
  SERVICE_RUNTIME_FIELDS,
  serviceConfigSchema,
  type RollbackPreviewDto,
  type ServiceConfig,
  type ServiceDto,
} from '@dangus/common';
import { tenantInputSchema } from '@dangus/gitops-writer';
import request from 'supertest';
import { Encryptor } from '../src/crypto/encryption.js';
import { DeploymentEntity, ServiceEntity } from '../src/db/entities/index.js';
import { RELEASE_SNAPSHOT_SQL } from '../src/db/releases.js';
import { EnvRevision } from '../src/state-repo/env-revision.js';
import { TenantLoader } from '../src/state-repo/tenant-loader.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const SIZES = [
  { name: 'small', cpu: '250m', memory: '256Mi' },
  { name: 'big', cpu: '750m', memory: '1Gi' },
];

/** A value of every field, none of them a default, each told apart from the others. */
const FIRST: ServiceConfig = {
  name: 'shaped',
  repoUrl: 'https://github.com/shaper/shaped-app',
  branch: 'release/2',
  contextDir: 'apps/shaped',
  dockerfilePath: 'docker/App.Dockerfile',
  watchPaths: ['apps/shaped/**', '!**/*.md', 'package-lock.json'],
  port: 8081,
  storageGb: null,
  healthCheckPath: '/ready',
  replicas: 3,
  size: 'small',
  hsts: true,
};

/** Another value of every runtime field: what a change rolls out, then a rollback undoes. */
const SECOND: Pick<ServiceConfig, (typeof SERVICE_RUNTIME_FIELDS)[number]> = {
  port: 9090,
  storageGb: 2,
  healthCheckPath: '/live',
  replicas: 1,
  size: 'big',
  hsts: false,
};

describe("a service's shape, declared once", () => {
  let t: TestPlatform;
  let cookie: string;
  let projectId: string;
  let service: ServiceDto;
  const as = <T extends request.Test>(req: T) => req.set({ Cookie: cookie, Origin: ORIGIN });

  beforeAll(async () => {
    const sizes = Object.fromEntries(SIZES.map(({ name, ...size }) => [name, size]));
    t = await startTestPlatform({ SERVICE_SIZES: JSON.stringify(sizes) });
    cookie = await t.signIn('shaper', 4242);
    projectId = String((await as(request(t.app).post('/api/projects')).send({ name: 'shapes' }).expect(201)).body.id);
    service = (await as(request(t.app).post(`/api/projects/${projectId}/services`)).send(FIRST).expect(201)).body as ServiceDto;
  });
  afterAll(async () => {
    await t.close();
  });

  it('the fixtures give every field of the schema, and valid values', () => {
    expect(Object.keys(FIRST).sort()).toEqual([...SERVICE_CONFIG_FIELDS].sort());
    expect(Object.keys(SECOND).sort()).toEqual([...SERVICE_RUNTIME_FIELDS].sort());
    expect(serviceConfigSchema.parse(FIRST)).toEqual(FIRST);
    expect(serviceConfigSchema.parse({ ...FIRST, ...SECOND })).toEqual({ ...FIRST, ...SECOND });
  });

  it('the DTO carries every field of the schema, as stored', async () => {
    const stored = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: service.id });
    const fetched = (await as(request(t.app).get(`/api/services/${service.id}`)).expect(200)).body as ServiceDto;
    for (const field of SERVICE_CONFIG_FIELDS) {
      expect({ field, created: service[field], fetched: fetched[field], stored: stored[field] }).toEqual({
        field, created: FIRST[field], fetched: FIRST[field], stored: FIRST[field],
      });
    }
  });

  it("the renderer's input carries every field of the schema (the size as its resources), through the render schema", async () => {
    const loader = new TenantLoader({
      db: t.db,
      encryptor: new Encryptor('k1', t.encryptionKey),
      envRevision: new EnvRevision(t.encryptionKey),
      sizes: SIZES,
    });
    const loaded = await loader.load(projectId);
    // What the renderer reads: its schema strips a field it does not declare.
    const [parsed] = tenantInputSchema.parse(loaded).services;
    if (!parsed) throw new Error('the loader gave no service');
    for (const field of SERVICE_CONFIG_FIELDS.filter((f) => f !== 'size')) {
      expect({ field, value: (parsed as Record<string, unknown>)[field] }).toEqual({ field, value: FIRST[field] });
    }
    expect(parsed).toMatchObject({ id: service.id, resources: { cpu: '250m', memory: '256Mi' } });
    expect(parsed).not.toHaveProperty('size');
  });

  it('a release records every runtime field, and a rollback restores each of them', async () => {
    // A live release of the first configuration (as the pipeline records it), then a change of
    // every runtime field, which rolls out as a release of its own.
    const sha = 'c'.repeat(40);
    const image = `harbor.local/dangus/shaped:${sha}@sha256:${'d'.repeat(64)}`;
    const [first] = await t.db.query<{ id: string }[]>(
      `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest)
       VALUES ($1, $2, 'live', 'push', $3, $4) RETURNING id`,
      [service.id, sha, image, `sha256:${'d'.repeat(64)}`],
    );
    const firstId = first?.id ?? '';
    await t.db.query(`UPDATE deployments d SET ${RELEASE_SNAPSHOT_SQL} WHERE d.id = $1`, [firstId]);
    await t.db.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [service.id, firstId]);

    const patched = await as(request(t.app).patch(`/api/services/${service.id}`)).send(SECOND);
    expect(patched.status).toBe(200);
    const changed = patched.body as ServiceDto;
    const releases = await t.db.getRepository(DeploymentEntity).find({ where: { serviceId: service.id }, order: { createdAt: 'ASC' } });
    expect(releases.map((d) => d.trigger)).toEqual(['push', 'config']);
    const runtimeOf = (source: object) => Object.fromEntries(SERVICE_RUNTIME_FIELDS.map((field) => [field, (source as Record<string, unknown>)[field]]));
    expect(runtimeOf(releases[0]?.releaseConfig ?? {})).toEqual(runtimeOf(FIRST));
    expect(runtimeOf(releases[1]?.releaseConfig ?? {})).toEqual(SECOND);
    expect(runtimeOf(changed)).toEqual(SECOND);

    // The preview names every runtime field that differs; the rollback puts each one back.
    const preview = (await as(request(t.app).get(`/api/deployments/${firstId}/rollback`)).expect(200)).body as RollbackPreviewDto;
    expect(preview.config).toEqual(SERVICE_RUNTIME_FIELDS.map((field) => ({ field, from: SECOND[field], to: FIRST[field] })));
    await as(request(t.app).post(`/api/deployments/${firstId}/rollback`)).expect(202);
    const restored = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: service.id });
    expect(runtimeOf(restored)).toEqual(runtimeOf(FIRST));
    // The source fields never belong to a release: they stay as they were.
    expect(restored).toMatchObject({ repoUrl: FIRST.repoUrl, branch: FIRST.branch, dockerfilePath: FIRST.dockerfilePath });
  });
});
