// PostgreSQL backups to object storage (bootstrap/components/postgres-backup-s3): the
// scripts the CronJob's `upload` container runs (the very files its ConfigMap is generated
// from), run here as processes against a real SeaweedFS and a real PostgreSQL (Debian's,
// as the `postgres` user, on a socket of its own): each night's dump uploaded to the
// platform's own bucket with a key that reaches only it, the newest BACKUP_KEEP kept, and
// the newest restored with pg_restore into a fresh database that holds the rows.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { provisionBucket, type BucketKey } from '../src/object-storage/driver.js';
import { SeaweedFsDriver } from '../src/object-storage/seaweedfs-driver.js';
import { startSeaweedFs, type SeaweedFs } from './support/seaweedfs.js';

const run = promisify(execFile);
const component = fileURLToPath(new URL('../../bootstrap/components/postgres-backup-s3/', import.meta.url));
const PG_BIN = '/usr/lib/postgresql/15/bin';
const KEEP = 3;

describe('PostgreSQL backups to object storage', () => {
  let weed: SeaweedFs;
  let dir: string;
  let postgres: ChildProcess | undefined;
  let key: BucketKey;
  let tenantBucket: string;
  const socket = () => join(dir, 'sock');
  const port = '5499';
  // Debian's PostgreSQL refuses root: its programs run as the `postgres` user.
  const POSTGRES_USER = { uid: -1, gid: -1 };
  const asPostgres = (bin: string, args: string[]) => run(bin, args, { ...POSTGRES_USER, env: { ...process.env, HOME: '/tmp' } });
  const psql = async (db: string, sql: string) =>
    (await asPostgres('psql', ['-h', socket(), '-p', port, '-U', 'dangus', '-d', db, '-At', '-c', sql])).stdout.trim();

  beforeAll(async () => {
    weed = await startSeaweedFs();
    const driver = new SeaweedFsDriver({ endpoint: weed.endpoint, iamEndpoint: weed.endpoint, region: weed.region, admin: weed.admin });
    // The platform's bucket and its own key, as an operator makes them; and a tenant's.
    ({ key } = await provisionBucket(driver, 'dangus-backups'));
    tenantBucket = 'ab12cd-shop--web';
    await provisionBucket(driver, tenantBucket);

    POSTGRES_USER.uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    POSTGRES_USER.gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    dir = await mkdtemp(join(tmpdir(), 'dangus-pg-backup-'));
    await mkdir(join(dir, 'backups'));
    await mkdir(socket());
    for (const path of [dir, socket(), join(dir, 'backups')]) await chown(path, POSTGRES_USER.uid, POSTGRES_USER.gid);
    await asPostgres(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'dangus']);
    postgres = spawn(join(PG_BIN, 'postgres'), ['-D', join(dir, 'data'), '-k', socket(), '-p', port, '-c', "listen_addresses="], { stdio: 'ignore', ...POSTGRES_USER });
    for (let i = 0; ; i += 1) {
      const ready = await run('pg_isready', ['-h', socket(), '-p', port]).then(() => true, () => false);
      if (ready) break;
      if (i > 300) throw new Error('PostgreSQL did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await psql('postgres', 'CREATE DATABASE dangus');
  }, 120_000);
  afterAll(async () => {
    if (postgres && postgres.exitCode === null) {
      const exited = new Promise((r) => postgres?.once('exit', r));
      postgres.kill('SIGINT');
      await exited;
    }
    await weed.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const settings = () => ({
    ...process.env,
    S3_ENDPOINT: weed.endpoint,
    S3_BUCKET: 'dangus-backups',
    S3_REGION: weed.region,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    BACKUP_KEEP: String(KEEP),
    BACKUP_DIR: join(dir, 'backups'),
  });

  /** The CronJob's pg_dump (bootstrap/components/postgres-backup), then its upload.sh, for the night `night`. */
  async function nightly(night: number): Promise<string> {
    const name = join(dir, 'backups', `dangus-202612${String(night).padStart(2, '0')}T021500Z.dump`);
    await asPostgres('pg_dump', ['-h', socket(), '-p', port, '-U', 'dangus', '-d', 'dangus', '-Fc', '-f', `${name}.partial`]);
    await run('mv', [`${name}.partial`, name], POSTGRES_USER);
    // Each night's file is the newest, as on the volume.
    const at = new Date(Date.UTC(2026, 11, night, 2, 15));
    await utimes(name, at, at);
    return (await run('sh', [join(component, 'upload.sh')], { env: settings() })).stdout;
  }

  it('uploads each dump, keeps the newest few, and restores the newest into a fresh database', async () => {
    await psql('dangus', 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
    for (let night = 1; night <= KEEP + 2; night += 1) {
      await psql('dangus', `INSERT INTO notes VALUES (${String(night)}, 'night ${String(night)}')`);
      const out = await nightly(night);
      expect(out).toContain(`uploaded dangus-202612${String(night).padStart(2, '0')}T021500Z.dump`);
    }
    const admin = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin, forcePathStyle: true });
    try {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: 'dangus-backups' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['dangus/dangus-20261203T021500Z.dump', 'dangus/dangus-20261204T021500Z.dump', 'dangus/dangus-20261205T021500Z.dump']);
      // The bytes stored are the dump's.
      const newest = await readFile(join(dir, 'backups', 'dangus-20261205T021500Z.dump'));
      expect(listed.Contents?.at(-1)?.Size).toBe(newest.length);
    } finally {
      admin.destroy();
    }

    // Restore: the newest downloaded by restore.sh, pg_restore into a database of its own.
    const file = join(dir, 'backups', 'restored.dump');
    const restored = await run('sh', [join(component, 'restore.sh'), file], { env: settings() });
    expect(restored.stdout).toContain('downloaded s3://dangus-backups/dangus/dangus-20261205T021500Z.dump');
    await chmod(file, 0o644);
    await psql('postgres', 'CREATE DATABASE dangus_restored');
    await asPostgres('pg_restore', ['-h', socket(), '-p', port, '-U', 'dangus', '-d', 'dangus_restored', '--no-owner', file]);
    expect(await psql('dangus_restored', 'SELECT string_agg(body, \',\' ORDER BY id) FROM notes')).toBe('night 1,night 2,night 3,night 4,night 5');
    // A named one too: the oldest kept, night 3's rows.
    const named = await run('sh', [join(component, 'restore.sh'), 'dangus-20261203T021500Z.dump', file], { env: settings() });
    expect(named.stdout).toContain('downloaded s3://dangus-backups/dangus/dangus-20261203T021500Z.dump');
    await psql('postgres', 'CREATE DATABASE dangus_night3');
    await asPostgres('pg_restore', ['-h', socket(), '-p', port, '-U', 'dangus', '-d', 'dangus_night3', '--no-owner', file]);
    expect(await psql('dangus_night3', 'SELECT count(*) FROM notes')).toBe('3');
  }, 180_000);

  it('the backup key reaches its bucket only: a tenant\'s refuses it', async () => {
    const env = { ...settings(), S3_BUCKET: tenantBucket };
    await expect(run('sh', [join(component, 'restore.sh'), 'x.dump', join(dir, 'backups', 'nope')], { env })).rejects.toMatchObject({
      stderr: expect.stringMatching(/403|AccessDenied/) as unknown,
    });
    await expect(run('sh', [join(component, 'upload.sh')], { env })).rejects.toMatchObject({ stderr: expect.stringMatching(/403|AccessDenied/) as unknown });
  });
});
