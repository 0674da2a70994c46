import { bucketNameFor, type BucketDto, type ObjectStorageDto } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { namespaceHash } from '../db/project-namespace.js';
import { AppError, ConflictError, LimitReachedError, NotFoundError } from '../errors.js';
import type { ObjectStorageSettings } from '../config/object-storage.js';
import { message, provisionBucket, type BucketKey } from '../object-storage/driver.js';
import type { ObjectStorage } from '../object-storage/object-storage.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { envChange } from './env-vars.js';
import { findOwnedService } from './services.js';
import { isUuid, uniqueViolation } from './validate.js';
import { keep } from './bucket-retirement.js';


/** The backend did not answer or refused: 503, and nothing changed. */
export class ObjectStorageUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'object_storage_unavailable';
}

/** How long the service page waits for a bucket's usage before it says the backend did not answer. */
const USAGE_TIMEOUT_MS = 5_000;

interface BucketRow {
  id: string;
  user_id: string;
  project_id: string | null;
  service_id: string | null;
  namespace: string;
  service_name: string;
  bucket: string;
  endpoint: string;
  region: string;
  access_key_id: string | null;
  delete_after: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, user_id, project_id, service_id, namespace, service_name, bucket, endpoint, region, access_key_id, delete_after, created_at';

function requireStorage(ctx: UseCaseContext): ObjectStorage {
  if (!ctx.objectStorage) {
    throw new ConflictError('This platform has no object storage: an operator sets OBJECT_STORAGE_ENDPOINT and its admin credentials (README, "Object storage").');
  }
  return ctx.objectStorage;
}

async function backend<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ObjectStorageUnavailableError(`Object storage did not answer (${what}): ${message(error)}. Nothing was changed; try again.`);
  }
}

async function rowOfService(db: UseCaseContext['db'] | EntityManager, serviceId: string): Promise<BucketRow | null> {
  const rows: BucketRow[] = await db.query(`SELECT ${COLUMNS} FROM service_buckets WHERE service_id = $1`, [serviceId]);
  return rows[0] ?? null;
}

/**
 * The service's bucket row, locked until the transaction ends: enabling, rotating,
 * disabling and deleting one bucket run one after another, each deciding on the row as the
 * one before left it, so the backend never holds a valid key the row does not record.
 */
async function lockRowOfService(manager: EntityManager, serviceId: string): Promise<BucketRow | null> {
  const rows: BucketRow[] = await manager.query(`SELECT ${COLUMNS} FROM service_buckets WHERE service_id = $1 FOR UPDATE`, [serviceId]);
  return rows[0] ?? null;
}

/** Thrown in a change's transaction when the locked row shows the change was made already: nothing to commit. */
class AlreadyDone extends Error {}

/** Keys made for a change that failed: revoked unless the row records one of them after all. */
async function revokeUnrecorded(ctx: UseCaseContext, driver: ObjectStorage['driver'], serviceId: string, made: Array<{ bucket: string; key: BucketKey }>): Promise<void> {
  if (made.length === 0) return;
  const row = await rowOfService(ctx.db, serviceId).catch(() => null);
  for (const { bucket, key } of made) {
    if (row?.access_key_id === key.accessKeyId) continue;
    await driver.revokeKey(bucket, key.accessKeyId).catch((error: unknown) => {
      ctx.logger.warn({ bucket, err: error }, 'could not revoke the key of a failed object-storage change');
    });
  }
}

async function withUsage(ctx: UseCaseContext, row: BucketRow): Promise<BucketDto> {
  let usage: BucketDto['usage'] = null;
  let usageError: string | null = null;
  if (ctx.objectStorage) {
    let timer: NodeJS.Timeout | undefined;
    try {
      usage = await Promise.race([
        ctx.objectStorage.driver.usage(row.bucket),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => { reject(new Error(`no answer within ${String(USAGE_TIMEOUT_MS / 1000)}s`)); }, USAGE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      usageError = `Object storage did not answer: ${message(error)}`;
    } finally {
      clearTimeout(timer);
    }
  } else {
    usageError = 'This platform has no object storage configured any more.';
  }
  return {
    id: row.id,
    bucket: row.bucket,
    endpoint: row.endpoint,
    region: row.region,
    serviceId: row.service_id,
    serviceName: row.service_name,
    namespace: row.namespace,
    state: row.access_key_id ? 'active' : 'kept',
    accessKeyId: row.access_key_id,
    deleteAfter: row.delete_after?.toISOString() ?? null,
    usage,
    usageError,
    createdAt: row.created_at.toISOString(),
  };
}

function answer(ctx: UseCaseContext, bucket: BucketDto | null): ObjectStorageDto {
  return { available: ctx.objectStorage !== undefined, bucket, graceDays: ctx.objectStorage?.settings.graceDays ?? 0 };
}

export async function getObjectStorage(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ObjectStorageDto> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
  const row = await rowOfService(ctx.db, service.id);
  return answer(ctx, row ? await withUsage(ctx, row) : null);
}

/**
 * Enables object storage: the service's bucket (a new one, or its own kept one with its
 * data) and a key scoped to it, stored encrypted, then one commit and a rollout that give
 * the app its variables. The backend's part first: if it fails nothing is stored, and if
 * the database's part fails the backend's is undone (a new bucket deleted, the key revoked).
 */
export async function enableObjectStorage(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<{ created: boolean; storage: ObjectStorageDto }> {
  // Who may is decided first: someone outside the project learns nothing, not even the setting.
  const owned = await findOwnedService(ctx, user, serviceId);
  const storage = requireStorage(ctx);
  const existing = await rowOfService(ctx.db, owned.service.id);
  if (existing?.access_key_id) return { created: false, storage: answer(ctx, await withUsage(ctx, existing)) };
  const bucket = existing?.bucket ?? bucketNameFor(namespaceHash(owned.project), owned.project.name, owned.service.name, storage.settings.bucketPrefix);
  if (!existing) await checkNewBucket(ctx, user, owned.project.id, bucket, storage.settings);
  if (existing) {
    // Its own kept bucket taken back: the key is made under the row's lock, after the row is
    // seen still kept (an enable at once finds it active; a "delete now" first leaves no row).
    const made: Array<{ bucket: string; key: BucketKey }> = [];
    try {
      await envChange(ctx, user, owned, `enable object storage (bucket ${bucket})`, async (manager) => {
        const row = await lockRowOfService(manager, owned.service.id);
        if (!row) throw new ConflictError(`The kept bucket ${bucket} was deleted meanwhile: enable the storage again for a new one.`);
        if (row.access_key_id) throw new AlreadyDone();
        const key = await backend('creating a key', () => storage.driver.createScopedKey(bucket));
        made.push({ bucket, key });
        await manager.query(`UPDATE service_buckets SET access_key_id = $2, secret_access_key = $3, delete_after = NULL, project_id = $4 WHERE id = $1`, [
          row.id, key.accessKeyId, ctx.encryptor.encrypt(key.secretAccessKey), owned.project.id,
        ]);
      });
    } catch (error) {
      await revokeUnrecorded(ctx, storage.driver, owned.service.id, made);
      if (!(error instanceof AlreadyDone)) throw error;
    }
    const row = await rowOfService(ctx.db, owned.service.id);
    if (!row) throw new NotFoundError('Service');
    return { created: false, storage: answer(ctx, await withUsage(ctx, row)) };
  }
  const { key, created } = await provisionBucket(storage.driver, bucket).catch((error: unknown) => {
    throw new ObjectStorageUnavailableError(`${message(error)}. Nothing was kept; try again.`);
  });
  try {
    await envChange(ctx, user, owned, `enable object storage (bucket ${bucket})`, async (manager) => {
      await manager.query(
        `INSERT INTO service_buckets (user_id, project_id, service_id, namespace, service_name, bucket, endpoint, region, access_key_id, secret_access_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        // The project's owner account (a team's, for a team project), as its namespace.
        [owned.owner.id, owned.project.id, owned.service.id, owned.project.namespace, owned.service.name, bucket,
          storage.settings.appEndpoint, storage.settings.region, key.accessKeyId, ctx.encryptor.encrypt(key.secretAccessKey)],
      );
    });
  } catch (error) {
    // Undo the backend's part: the key always, the bucket when it is new and no other row took it.
    await storage.driver.revokeKey(bucket, key.accessKeyId).catch(() => undefined);
    const violated = uniqueViolation(error);
    if (created && violated === undefined) await storage.driver.deleteBucket(bucket).catch(() => undefined);
    if (violated !== undefined) throw new ConflictError('Object storage is being enabled for this service already: reload the page.');
    throw error;
  }
  const row = await rowOfService(ctx.db, owned.service.id);
  if (!row) throw new NotFoundError('Service');
  return { created: true, storage: answer(ctx, await withUsage(ctx, row)) };
}

/** The project's bucket limit, and a kept bucket of a deleted service of the same name. */
async function checkNewBucket(ctx: UseCaseContext, user: CurrentUser, projectId: string, bucket: string, settings: ObjectStorageSettings) {
  const exempt = ctx.limits.exemptAdmins && user.role === 'admin';
  if (settings.bucketsPerProject > 0 && !exempt) {
    const [{ count }] = await ctx.db.query<[{ count: number }]>(`SELECT count(*)::int AS count FROM service_buckets WHERE project_id = $1`, [projectId]);
    if (count >= settings.bucketsPerProject) {
      throw new LimitReachedError(
        `This project has ${String(count)} buckets (kept ones included), the most it may have (MAX_BUCKETS_PER_PROJECT): delete a kept bucket now, or disable another service's storage and delete its bucket.`,
      );
    }
  }
  const taken: { delete_after: Date | null }[] = await ctx.db.query(`SELECT delete_after FROM service_buckets WHERE bucket = $1`, [bucket]);
  if (taken[0]) {
    const until = taken[0].delete_after ? ` until ${taken[0].delete_after.toISOString()}` : '';
    throw new ConflictError(`The bucket ${bucket} of a deleted service of the same name is kept${until}: delete it now (the project's kept buckets) to start afresh, or wait.`);
  }
}

/**
 * A new key, then the old one revoked (the old pods lose access as the new ones roll out),
 * under the row's lock: rotations at once run one after another, each revoking the key the
 * one before recorded.
 */
export async function rotateObjectStorageKey(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ObjectStorageDto> {
  // Who may is decided first: someone outside the project learns nothing, not even the setting.
  const owned = await findOwnedService(ctx, user, serviceId);
  const storage = requireStorage(ctx);
  const made: Array<{ bucket: string; key: BucketKey }> = [];
  try {
    await envChange(ctx, user, owned, (bucket: string) => `rotate the object-storage key of ${bucket}`, async (manager) => {
      const row = await lockRowOfService(manager, owned.service.id);
      const old = row?.access_key_id;
      if (!row || !old) throw new ConflictError('This service has no object storage enabled: there is no key to rotate.');
      const key = await backend('creating a key', () => storage.driver.createScopedKey(row.bucket));
      made.push({ bucket: row.bucket, key });
      await backend('revoking the old key', () => storage.driver.revokeKey(row.bucket, old));
      await manager.query(`UPDATE service_buckets SET access_key_id = $2, secret_access_key = $3 WHERE id = $1`, [row.id, key.accessKeyId, ctx.encryptor.encrypt(key.secretAccessKey)]);
      return row.bucket;
    });
  } catch (error) {
    await revokeUnrecorded(ctx, storage.driver, owned.service.id, made);
    throw error;
  }
  return getObjectStorage(ctx, user, serviceId);
}

/** Revokes the key at once and keeps the bucket for the grace period; the app loses the variables (a rollout). */
export async function disableObjectStorage(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ObjectStorageDto> {
  // Who may is decided first: someone outside the project learns nothing, not even the setting.
  const owned = await findOwnedService(ctx, user, serviceId);
  const storage = requireStorage(ctx);
  const days = String(storage.settings.graceDays);
  try {
    await envChange(ctx, user, owned, (bucket: string) => `disable object storage (bucket ${bucket} kept ${days} days)`, async (manager) => {
      const row = await lockRowOfService(manager, owned.service.id);
      const old = row?.access_key_id;
      if (!row || !old) throw new AlreadyDone();
      await backend('revoking the key', () => storage.driver.revokeKey(row.bucket, old));
      await keep(manager, `id = $1`, [row.id], storage.settings.graceDays);
      return row.bucket;
    });
  } catch (error) {
    if (!(error instanceof AlreadyDone)) throw error;
  }
  return getObjectStorage(ctx, user, serviceId);
}

/** The user's buckets, active and kept (a deleted service's included). */
/**
 * The accounts whose buckets a user manages: their own, and the teams' where they are a
 * maintainer or owner (the role that enables and disables storage).
 */
const MANAGED_ACCOUNTS = `(user_id = $1 OR user_id IN (
  SELECT t.account_id FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 AND m.role IN ('owner', 'maintainer')))`;

export async function listBuckets(ctx: UseCaseContext, user: CurrentUser): Promise<BucketDto[]> {
  const rows: BucketRow[] = await ctx.db.query(`SELECT ${COLUMNS} FROM service_buckets WHERE ${MANAGED_ACCOUNTS} ORDER BY created_at`, [user.id]);
  return Promise.all(rows.map((row) => withUsage(ctx, row)));
}

/** "Delete now": a kept bucket, its objects and its identity go at once, under the row's lock. An active one is refused. */
export async function deleteBucketNow(ctx: UseCaseContext, user: CurrentUser, bucketId: string): Promise<void> {
  await ctx.db.transaction(async (manager) => {
    const rows: BucketRow[] = isUuid(bucketId)
      ? await manager.query(`SELECT ${COLUMNS} FROM service_buckets WHERE id = $2 AND ${MANAGED_ACCOUNTS} FOR UPDATE`, [user.id, bucketId])
      : [];
    const row = rows[0];
    if (!row) throw new NotFoundError('Bucket');
    if (row.access_key_id) throw new ConflictError(`The bucket ${row.bucket} is in use by ${row.service_name}: disable its object storage first.`);
    const storage = requireStorage(ctx);
    await backend('deleting the bucket', () => storage.driver.deleteBucket(row.bucket));
    await manager.query(`DELETE FROM service_buckets WHERE id = $1`, [row.id]);
  });
}
