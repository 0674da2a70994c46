// Image retention of releases (RELEASES_KEPT) against a fake Harbor shaped by its API, on
// real PostgreSQL: exactly the images beyond the kept releases go, never one in use.
import { pino } from 'pino';
import request from 'supertest';
import { HttpHarborApi } from '../src/registry/harbor-api.js';
import { TenantRegistries, imageLocation } from '../src/registry/tenant-registries.js';
import { pruneReleaseImages } from '../src/use-cases/release-retention.js';
import { FakeHarbor } from './support/fake-harbor.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

describe('release image retention', () => {
  let harbor: FakeHarbor;
  let t: TestPlatform;
  let registries: TenantRegistries;
  let serviceId: string;
  const logger = pino({ level: 'silent' });
  const HARBOR_PROJECT = 'dangus-ab12cd-keep';
  const repository = 'web';
  const tag = (i: number) => `harbor.local/${HARBOR_PROJECT}/${repository}:${String(i).padStart(40, 'c')}@${digest(i)}`;

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    t = await startTestPlatform();
    registries = new TenantRegistries({
      db: t.db, encryptor: t.encryptor, logger,
      harbor: new HttpHarborApi({ url: harbor.url, ...harbor.admin }),
      settings: { harborProject: 'dangus', shared: null },
    });
    const cookie = await t.signIn('keeper', 11);
    const project = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'keep' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name: 'web', repoUrl: 'https://github.com/keeper/web', port: 80 })
      .expect(201);
    serviceId = service.body.id as string;
  });
  afterAll(async () => {
    await t.close();
    await harbor.stop();
  });

  it('reads project, repository and digest from a deployed image reference', () => {
    expect(imageLocation(`harbor.example:8443/dangus-x/a/b:${'f'.repeat(40)}@${digest(1)}`)).toEqual({ project: 'dangus-x', repository: 'a/b', digest: digest(1) });
    expect(imageLocation('harbor.local/p/web:tag')).toBeNull();
    expect(imageLocation(`web@${digest(1)}`)).toBeNull();
  });

  it('deletes the images of releases beyond the kept ones, except the current, one in flight and one a kept rollback shares', async () => {
    // Releases 0..7, oldest first; images 0..6 in Harbor (release 7 becomes a rollback to image 0).
    harbor.projects.set(HARBOR_PROJECT, { repositories: new Map([[repository, new Set(Array.from({ length: 7 }, (_, i) => digest(i)))]]), metadata: { public: 'false' } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const [row] = await t.db.query<{ id: string }[]>(
        `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest, release_config, release_env, created_at)
         VALUES ($1, $2, 'live', 'push', $3, $4, '{"port":80,"healthCheckPath":null,"storageGb":null}', '[]', now() - make_interval(mins => $5)) RETURNING id`,
        [serviceId, String(i).padStart(40, 'c'), tag(i), digest(i), 100 - i],
      );
      ids.push(row?.id ?? '');
    }
    // Release 1 is current (rolled back to, long ago); release 2's image is rolling out again
    // (a config deployment in flight); the newest release (7) is a rollback to release 0.
    await t.db.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [serviceId, ids[1]]);
    await t.db.query(
      `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest) VALUES ($1, $2, 'deploying', 'config', $3, $4)`,
      [serviceId, String(2).padStart(40, 'c'), tag(2), digest(2)],
    );
    await t.db.query(`UPDATE deployments SET image_tag = $2, image_digest = $3, trigger = 'rollback' WHERE id = $1`, [ids[7], tag(0), digest(0)]);

    const result = await pruneReleaseImages({ db: t.db, registries, logger, releasesKept: 3 });

    // Kept: the newest 3 releases (7 = image 0, 6, 5), the current (1), the one in flight (2).
    // Deleted: 3 and 4.
    expect(result).toEqual({ deleted: 2, failed: 0 });
    expect([...(harbor.projects.get(HARBOR_PROJECT)?.repositories.get(repository) ?? [])].sort()).toEqual([0, 1, 2, 5, 6].map(digest));
    const deletes = harbor.calls.filter((c) => c.method === 'DELETE').map((c) => c.path);
    expect(deletes).toEqual([3, 4].map((i) => `/api/v2.0/projects/${HARBOR_PROJECT}/repositories/${repository}/artifacts/${encodeURIComponent(digest(i))}`));
    const marked = await t.db.query<{ id: string }[]>(`SELECT id FROM deployments WHERE image_deleted_at IS NOT NULL ORDER BY created_at`);
    expect(marked.map((r) => r.id)).toEqual([ids[3], ids[4]]);

    // A second run finds nothing more; Harbor failing leaves the release restorable.
    expect(await pruneReleaseImages({ db: t.db, registries, logger, releasesKept: 3 })).toEqual({ deleted: 0, failed: 0 });
    const [extra] = await t.db.query<{ id: string }[]>(
      `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest, release_config, created_at)
       VALUES ($1, $2, 'live', 'push', $3, $4, '{"port":80}', now()) RETURNING id`,
      [serviceId, 'e'.repeat(40), tag(9), digest(9)],
    );
    await harbor.stop();
    const failing = await pruneReleaseImages({ db: t.db, registries, logger, releasesKept: 3 });
    expect(failing.deleted).toBe(0);
    expect(failing.failed).toBeGreaterThan(0);
    expect(await t.db.query(`SELECT 1 FROM deployments WHERE image_deleted_at IS NOT NULL AND id NOT IN ($1, $2)`, [ids[3], ids[4]])).toEqual([]);
    expect(extra?.id).toBeDefined();
    await harbor.start();
  });
});
