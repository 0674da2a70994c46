import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import type { GitHubApp } from './github-app.js';
import { forgetPublicOnlyBindings } from './repository-access.js';
import { applyRepositoryEvent } from './repository-events.js';

/**
 * The App's installations and their repositories, as rows (docs/architecture.md#github-app):
 * kept current from the `installation` and `installation_repositories` webhook events, and
 * re-read from GitHub by the leading controller (`syncInstallations`), which heals a missed
 * or reordered event.
 */

const repository = z.object({ id: z.number().int().positive(), full_name: z.string().min(1).max(140), private: z.boolean() });
const account = z.object({ id: z.number().int().positive(), login: z.string().min(1).max(39), type: z.string().max(20) });
const installation = z.object({
  id: z.number().int().positive(),
  account: account.nullable(),
  repository_selection: z.enum(['all', 'selected']),
  suspended_at: z.string().nullable().optional(),
});
type Installation = z.infer<typeof installation>;
type Repository = z.infer<typeof repository>;

const installationEvent = z.object({
  action: z.string().max(50),
  installation,
  repositories: z.array(repository.partial({ private: true })).optional(),
});
const installationRepositoriesEvent = z.object({
  action: z.enum(['added', 'removed']),
  installation,
  repository_selection: z.enum(['all', 'selected']),
  repositories_added: z.array(repository.partial({ private: true })),
  repositories_removed: z.array(repository.partial({ private: true })),
});

export interface EventOutcome {
  outcome: 'applied' | 'ignored';
  reason: string;
  installationId: number | null;
  action: string | null;
}

/** The installation id a payload names, if any (for the delivery record). */
export function installationIdOf(payload: unknown): number | null {
  const id = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

/**
 * Applies one App webhook event to the rows. An event about an installation the rows do
 * not know (other than its creation) is ignored: the next resync reads it from GitHub.
 */
export async function applyInstallationEvent(db: DataSource, event: string, payload: unknown): Promise<EventOutcome> {
  const rawAction = (payload as { action?: unknown } | null)?.action;
  const action = typeof rawAction === 'string' ? rawAction.slice(0, 50) : null;
  const ignored = (reason: string): EventOutcome => ({ outcome: 'ignored', reason, installationId: installationIdOf(payload), action });
  if (event === 'installation') {
    const parsed = installationEvent.safeParse(payload);
    if (!parsed.success) return ignored('not an installation event GitHub sends');
    const { installation: inst, repositories } = parsed.data;
    return db.transaction(async (manager) => {
      const known = await isKnown(manager, inst.id);
      switch (parsed.data.action) {
        case 'created':
          await upsertInstallation(manager, inst);
          // `private` is in every repository GitHub lists here; a missing one is taken as private.
          await replaceRepositories(manager, inst.id, (repositories ?? []).map((r) => ({ ...r, private: r.private ?? true })));
          return { outcome: 'applied', reason: 'installation created', installationId: inst.id, action: 'created' };
        case 'deleted':
          if (!known) return ignored('unknown installation');
          await manager.query(`DELETE FROM github_installations WHERE id = $1`, [inst.id]);
          return { outcome: 'applied', reason: 'installation deleted', installationId: inst.id, action: 'deleted' };
        case 'suspend':
        case 'unsuspend':
        case 'new_permissions_accepted':
          if (!known) return ignored('unknown installation');
          await upsertInstallation(manager, { ...inst, suspended_at: parsed.data.action === 'suspend' ? (inst.suspended_at ?? new Date().toISOString()) : parsed.data.action === 'unsuspend' ? null : inst.suspended_at });
          return { outcome: 'applied', reason: `installation ${parsed.data.action}`, installationId: inst.id, action: parsed.data.action };
        default:
          return ignored(`installation action ${parsed.data.action} is not used`);
      }
    });
  }
  if (event === 'installation_repositories') {
    const parsed = installationRepositoriesEvent.safeParse(payload);
    if (!parsed.success) return ignored('not an installation_repositories event GitHub sends');
    const { installation: inst, repositories_added: added, repositories_removed: removed } = parsed.data;
    return db.transaction(async (manager) => {
      if (!(await isKnown(manager, inst.id))) return ignored('unknown installation');
      await upsertInstallation(manager, { ...inst, repository_selection: parsed.data.repository_selection });
      await addRepositories(manager, inst.id, added.map((r) => ({ ...r, private: r.private ?? true })));
      if (removed.length > 0) {
        await manager.query(`DELETE FROM github_installation_repositories WHERE installation_id = $1 AND repository_id = ANY($2::bigint[])`, [
          inst.id,
          removed.map((r) => r.id),
        ]);
      }
      return { outcome: 'applied', reason: `${String(added.length)} added, ${String(removed.length)} removed`, installationId: inst.id, action: parsed.data.action };
    });
  }
  if (event === 'repository') return applyRepositoryEvent(db, payload);
  return ignored(`the ${event.slice(0, 50)} event is not handled by the App endpoint yet`);
}

/** What a resync did. */
export interface SyncResult {
  installations: number;
  repositories: number;
  removed: number;
  /** Installations whose repositories could not be read (kept as they were). */
  failed: number[];
}

/**
 * Reads every installation of the App and its repositories from GitHub, and makes the rows
 * say the same: new installations added, gone ones deleted, repository lists replaced. One
 * installation that cannot be read keeps its rows and does not stop the others.
 */
export async function syncInstallations(db: DataSource, app: GitHubApp, logger: Logger): Promise<SyncResult | undefined> {
  const octokit = await app.appOctokit();
  if (!octokit) return undefined;
  const listed = z.array(installation).parse(await octokit.paginate(octokit.rest.apps.listInstallations, { per_page: 100 }));
  const result: SyncResult = { installations: listed.length, repositories: 0, removed: 0, failed: [] };
  for (const inst of listed) {
    let repositories: Repository[];
    try {
      const client = await app.installationOctokit(inst.id);
      repositories = z.array(repository).parse(await client.paginate(client.rest.apps.listReposAccessibleToInstallation, { per_page: 100 }));
    } catch (error) {
      logger.warn({ err: error, installationId: inst.id }, 'could not read the repositories of an installation');
      result.failed.push(inst.id);
      await db.transaction((manager) => upsertInstallation(manager, inst));
      continue;
    }
    result.repositories += repositories.length;
    await db.transaction(async (manager) => {
      await upsertInstallation(manager, inst);
      await replaceRepositories(manager, inst.id, repositories);
    });
  }
  const [gone] = await db.query<[{ n: number }]>(
    `WITH gone AS (DELETE FROM github_installations WHERE NOT (id = ANY($1::bigint[])) RETURNING id) SELECT count(*)::int AS n FROM gone`,
    [listed.map((i) => i.id)],
  );
  result.removed = gone.n;
  return result;
}

async function isKnown(manager: EntityManager, id: number): Promise<boolean> {
  const rows = await manager.query<unknown[]>(`SELECT 1 FROM github_installations WHERE id = $1 FOR UPDATE`, [id]);
  return rows.length > 0;
}

async function upsertInstallation(manager: EntityManager, inst: Installation): Promise<void> {
  await manager.query(
    `INSERT INTO github_installations (id, account_id, account_login, account_type, repository_selection, suspended, synced_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, account_login = excluded.account_login, account_type = excluded.account_type,
       repository_selection = excluded.repository_selection, suspended = excluded.suspended, synced_at = now()`,
    [inst.id, inst.account?.id ?? 0, inst.account?.login ?? '', inst.account?.type ?? 'User', inst.repository_selection, Boolean(inst.suspended_at)],
  );
}

async function replaceRepositories(manager: EntityManager, installationId: number, repositories: Repository[]): Promise<void> {
  await manager.query(`DELETE FROM github_installation_repositories WHERE installation_id = $1`, [installationId]);
  await addRepositories(manager, installationId, repositories);
}

async function addRepositories(manager: EntityManager, installationId: number, repositories: Repository[]): Promise<void> {
  if (repositories.length === 0) return;
  await manager.query(
    `INSERT INTO github_installation_repositories (installation_id, repository_id, full_name, private)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::boolean[])
     ON CONFLICT (installation_id, repository_id) DO UPDATE SET full_name = excluded.full_name, private = excluded.private`,
    [installationId, repositories.map((r) => r.id), repositories.map((r) => r.full_name), repositories.map((r) => r.private)],
  );
  // Private now (or newly installed and private): bindings shown only by publicness are dropped.
  await forgetPublicOnlyBindings(manager, repositories.filter((r) => r.private).map((r) => r.id));
}

/** Between resyncs of the installations with GitHub (a missed webhook heals within this). */
export const INSTALLATION_SYNC_MS = 15 * 60_000;

/**
 * The leading controller's periodic resync: once at once, then every `intervalMs`. A failed
 * round is logged and the next one tries again. Nothing runs while no App is connected.
 */
export function startInstallationSync(deps: { db: DataSource; app: GitHubApp; logger: Logger; intervalMs?: number }): { stop(): void; syncNow(): Promise<SyncResult | undefined> } {
  let running: Promise<SyncResult | undefined> | undefined;
  const syncNow = () => {
    running ??= syncInstallations(deps.db, deps.app, deps.logger).finally(() => {
      running = undefined;
    });
    return running;
  };
  const round = () => {
    syncNow().then(
      (result) => {
        if (result) deps.logger.debug({ ...result }, 'GitHub App installations resynced');
      },
      (error: unknown) => deps.logger.warn({ err: error }, 'could not resync the GitHub App installations'),
    );
  };
  round();
  const timer = setInterval(round, deps.intervalMs ?? INSTALLATION_SYNC_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), syncNow };
}
