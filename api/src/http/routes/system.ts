import { Router } from 'express';
import { z } from 'zod';
import { registryStatusDtoSchema, stateRepoStatusDtoSchema, tenantFailureSchema, type StateRepoStatusDto } from '@dangus/common';
import { NotFoundError } from '../../errors.js';
import { requireAdmin } from '../middleware/session.js';
import type { PushStatus } from '../../state-repo/state-pusher.js';
import type { RegistryStatus } from '../../registry/tenant-registries.js';
import type { TenantFailures } from '../../state-repo/tenant-failures.js';
import { routeDocs } from '../openapi/describe.js';
import { applierStatusSchema } from '../openapi/applier-status.js';

export type StateRepoStatus = StateRepoStatusDto;

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
  const doc = routeDocs(router, { tag: 'System', access: 'admin' });
  // What every tenant runs, and where: admins only.
  router.use('/system', requireAdmin);
  doc.get('/system/registry', { summary: 'Whether tenants have registry credentials of their own', response: registryStatusDtoSchema });
  router.get('/system/registry', (_req, res) => {
    res.json(deps.registryStatus());
  });
  doc.get('/system/state-repo', { summary: 'The state repo\'s head, and its push to STATE_REPO_REMOTE', response: stateRepoStatusDtoSchema });
  router.get('/system/state-repo', async (_req, res) => {
    if (!deps.stateRepo) throw new NotFoundError('State repo');
    const body: StateRepoStatus = { head: await deps.stateRepo.head(), remote: deps.stateRepo.pushStatus() };
    res.json(body);
  });
  doc.get('/system/tenant-failures', { summary: 'The projects whose changes cannot be committed (retried with backoff)', response: z.array(tenantFailureSchema) });
  router.get('/system/tenant-failures', async (_req, res) => {
    res.json(await deps.tenantFailures.list());
  });
  doc.get('/system/applier', { summary: 'What the in-process applier last applied', description: '404 when the applier does not run in this process (no cluster, or APPLIER=external).', response: applierStatusSchema });
  router.get('/system/applier', (_req, res) => {
    if (!deps.applierStatus) {
      throw new NotFoundError('Applier in this process (it runs when KUBECONFIG or in-cluster config is present)');
    }
    res.json(deps.applierStatus());
  });
  return router;
}
