import { Router } from 'express';
import { NotFoundError } from '../../errors.js';
import { requireAdmin } from '../middleware/session.js';
import type { PushStatus } from '../../state-repo/state-pusher.js';
import type { RegistryStatus } from '../../registry/tenant-registries.js';
import type { TenantFailures } from '../../state-repo/tenant-failures.js';

export interface StateRepoStatus {
  head: string | null;
  /** The push to STATE_REPO_REMOTE, or null when no remote is configured. */
  remote: PushStatus | null;
}

export interface StateRepoView {
  head(): Promise<string | null>;
  pushStatus(): PushStatus | null;
}

/** `/api/system/*`: what the platform itself is doing (the UI's system view). */
export function systemRoutes(deps: {
  stateRepo: StateRepoView | undefined;
  applierStatus: (() => unknown) | undefined;
  registryStatus: () => RegistryStatus;
  /** The tenants whose changes cannot be committed (docs/architecture.md#failure-isolation). */
  tenantFailures: TenantFailures;
}): Router {
  const router = Router();
  // What every tenant runs, and where: admins only.
  router.use('/system', requireAdmin);
  router.get('/system/registry', (_req, res) => {
    res.json(deps.registryStatus());
  });
  router.get('/system/state-repo', async (_req, res) => {
    if (!deps.stateRepo) throw new NotFoundError('State repo');
    const body: StateRepoStatus = { head: await deps.stateRepo.head(), remote: deps.stateRepo.pushStatus() };
    res.json(body);
  });
  router.get('/system/tenant-failures', async (_req, res) => {
    res.json(await deps.tenantFailures.list());
  });
  router.get('/system/applier', (_req, res) => {
    if (!deps.applierStatus) {
      throw new NotFoundError('Applier in this process (it runs when KUBECONFIG or in-cluster config is present)');
    }
    res.json(deps.applierStatus());
  });
  return router;
}
