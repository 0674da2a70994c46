import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { forgetPublicOnlyBindings } from './repository-access.js';

const repositoryEvent = z.object({
  action: z.string().max(50),
  repository: z.object({ id: z.number().int().positive(), full_name: z.string().min(1).max(140), private: z.boolean() }),
});

/** What applying the event did (installations.ts's EventOutcome, which calls this). */
interface RepositoryEventOutcome {
  outcome: 'applied' | 'ignored';
  reason: string;
  installationId: number | null;
  action: string | null;
}

/**
 * The App's `repository` event (docs/architecture.md#github-app), applied at once rather than
 * at the next resync: `privatized` marks the installation's row private and ends the bindings
 * shown only by publicness; `deleted` drops the row and every binding to the id (GitHub never
 * reuses it). Other actions are left to the resync.
 */
export async function applyRepositoryEvent(db: DataSource, payload: unknown): Promise<RepositoryEventOutcome> {
  const parsed = repositoryEvent.safeParse(payload);
  const rawId = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
  const installationId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? rawId : null;
  if (!parsed.success) return { outcome: 'ignored', reason: 'not a repository event GitHub sends', installationId, action: null };
  const { action, repository } = parsed.data;
  if (action === 'privatized') {
    return db.transaction(async (manager) => {
      await manager.query(`UPDATE github_installation_repositories SET private = true WHERE repository_id = $1`, [repository.id]);
      const unbound = await forgetPublicOnlyBindings(manager, [repository.id]);
      return { outcome: 'applied', reason: `repository made private: ${String(unbound)} binding(s) shown only by publicness ended`, installationId, action };
    });
  }
  if (action === 'deleted') {
    return db.transaction(async (manager) => {
      await manager.query(`DELETE FROM github_installation_repositories WHERE repository_id = $1`, [repository.id]);
      const [, unbound] = await manager.query<[unknown[], number]>(
        `UPDATE services SET github_repository_id = NULL, github_repository_public_only = false WHERE github_repository_id = $1`,
        [repository.id],
      );
      return { outcome: 'applied', reason: `repository deleted: ${String(unbound)} binding(s) ended`, installationId, action };
    });
  }
  return { outcome: 'ignored', reason: `repository action ${action} is left to the resync`, installationId, action };
}
