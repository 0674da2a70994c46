import { recheckDueBindings, type RecheckScope } from '../github/binding-recheck.js';
import type { UseCaseContext } from './context.js';

/**
 * After a change that may take the right to bind a repository from someone (they left a team
 * or a project, were demoted or blocked, a project moved to another space): the bindings
 * they proved (`provenBy`), or those of one project (`projectId`), are asked of GitHub again at once, in the
 * background (github/binding-recheck.ts). Nothing is lost when this fails or the process
 * stops: a build asks first, and the leading controller's hourly pass takes the rest.
 */
export function recheckProofsAfter(ctx: UseCaseContext, scope: RecheckScope): void {
  recheckDueBindings({ db: ctx.db, encryptor: ctx.encryptor, githubApp: ctx.githubApp, logger: ctx.logger }, scope).catch((error: unknown) => {
    ctx.logger.warn({ err: error, ...scope }, 'could not re-check the repository bindings after a membership change');
  });
}
