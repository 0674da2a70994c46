import type { ServiceDto } from '@dangus/common';
import { ConflictError } from '../errors.js';
import { mayBindSql } from '../github/binding-recheck.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { proveRepository } from './repository-binding.js';
import { findOwnedService, getService } from './services.js';

/**
 * "Check access" on a service (`POST /api/services/:id/repository-access`): the acting
 * member's token is asked again and the service is bound to the id GitHub gives; 409 with
 * the reason when GitHub does not show that they can read it (the binding is then left as
 * it was: another member may have shown it).
 */
export async function checkRepositoryAccess(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ServiceDto> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const proof = await proveRepository(ctx, user, service.repoUrl);
  if (proof === null) throw new ConflictError('No GitHub App is connected: the repository is read with your own GitHub token, nothing to check.');
  if (proof.id === null) throw new ConflictError(proof.reason);
  // Only while the URL is the one checked: a concurrent change of the repository keeps its own binding.
  // Who showed it and when (the binding is proven again once they lose the right to bind: github/binding-recheck.ts),
  // and only while they still may bind at write time (removed or demoted while GitHub was asked: nothing written).
  await ctx.db.query(
    `UPDATE services SET github_repository_id = $3, github_repository_public_only = $4, repository_proven_by = $5, repository_proven_at = now(),
            repository_rechecked_at = now()
      WHERE id = $1 AND repo_url = $2 AND ${mayBindSql('$6::uuid', 'services.id')}`,
    [service.id, service.repoUrl, proof.id, proof.via === 'public', proof.via === 'user' ? user.id : null, user.id],
  );
  return getService(ctx, user, serviceId);
}
