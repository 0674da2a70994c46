import { Router } from 'express';
import { z } from 'zod';
import { certificateAttentionDtoSchema } from '@dangus/common';
import { NotFoundError } from '../../errors.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { requireAdmin } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

/** `/api/system/certificates` (issue 34): every certificate that fails or expires within 14 days, for admins. */
export function systemCertificateRoutes(ctx: UseCaseContext): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'System', access: 'admin' });
  router.use('/system/certificates', requireAdmin);
  doc.get('/system/certificates', {
    summary: 'The cluster\'s cert-manager certificates that fail or expire within 14 days',
    description: '404 without a cluster; 502 when the cluster cannot list them (cert-manager not installed).',
    response: z.array(certificateAttentionDtoSchema),
    errors: [502],
  });
  router.get('/system/certificates', async (_req, res) => {
    if (!ctx.certificates) throw new NotFoundError('Cluster');
    res.json(await ctx.certificates.attention(new Date()));
  });
  return router;
}
