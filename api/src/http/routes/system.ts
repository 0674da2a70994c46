import { Router } from 'express';
import { NotFoundError } from '../../errors.js';

export interface StateRepoStatus {
  head: string | null;
  /** Pushing to a remote (STATE_REPO_REMOTE) is not built yet: always null. */
  remote: null;
}

/** `/api/system/*`: what the platform itself is doing (the UI's system view). */
export function systemRoutes(deps: { stateRepo: { head(): Promise<string | null> } | undefined }): Router {
  const router = Router();
  router.get('/system/state-repo', async (_req, res) => {
    if (!deps.stateRepo) throw new NotFoundError('State repo');
    const body: StateRepoStatus = { head: await deps.stateRepo.head(), remote: null };
    res.json(body);
  });
  return router;
}
