import { recheckDueBindings, type RecheckScope } from '../github/binding-recheck.js';
import type { UseCaseContext } from './context.js';

/** Whether a change asked for another re-check while one ran (read through a call: it changes meanwhile). */
const askedAgain = (state: { again: boolean }): boolean => state.again;

/** Per scope: the re-check running, and whether another change asked for one meanwhile. */
const running = new Map<string, { again: boolean }>();

/**
 * After a change that may take the right to bind a repository from someone (they left a team
 * or a project, were demoted or blocked, a project moved to another space): the bindings
 * they proved (`provenBy`), or those of one project (`projectId`), are asked of GitHub again at once, in the
 * background (github/binding-recheck.ts). One re-check per scope at a time in this process:
 * changes while one runs coalesce into a single one after it (which reads the bindings due
 * then). Nothing is lost when this fails or the process stops: a build asks first, and the
 * leading controller's hourly pass takes the rest.
 */
export function recheckProofsAfter(ctx: UseCaseContext, scope: RecheckScope): void {
  const key = `${scope.provenBy ?? ''}/${scope.projectId ?? ''}`;
  const current = running.get(key);
  if (current) {
    current.again = true;
    return;
  }
  const state = { again: false };
  running.set(key, state);
  const run = async (): Promise<void> => {
    for (;;) {
      state.again = false;
      try {
        await recheckDueBindings({ db: ctx.db, encryptor: ctx.encryptor, githubApp: ctx.githubApp, logger: ctx.logger }, scope);
      } catch (error) {
        ctx.logger.warn({ err: error, ...scope }, 'could not re-check the repository bindings after a membership change');
      }
      // The check and the end in one step: a change arriving after it starts a re-check of its own.
      if (!askedAgain(state)) {
        running.delete(key);
        return;
      }
    }
  };
  void run();
}
