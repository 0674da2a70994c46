import { Router } from 'express';
import { z } from 'zod';
import { createDomainSchema, customDomainDtoSchema } from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as domains from '../../use-cases/domains.js';
import { currentUser } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

const domainParams = z.object({ domainId: z.uuid() });

/** `/api/services/:serviceId/domains…` (issue 34), mounted on `/api` behind requireUser. */
export function domainRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Domains', access: 'user' });
  doc.get('/services/:serviceId/domains', { summary: 'The service\'s custom domains, with their TXT record, state and certificate', response: z.array(customDomainDtoSchema) });
  r.get('/services/:serviceId/domains', async (req, res) => {
    res.json(await domains.listDomains(ctx, currentUser(res), req.params.serviceId));
  });
  doc.post('/services/:serviceId/domains', {
    summary: 'Add a custom domain',
    description: 'Stored lowercase, without a trailing dot, an IDN as punycode; `pending` until the TXT record `txtRecord.name` holds `txtRecord.value`. 400 names the problem in `fields.domain`; 409 when another service holds it (whose is not said) or the service has 5.',
    body: createDomainSchema,
    status: 201,
    response: customDomainDtoSchema,
    errors: [409],
  });
  r.post('/services/:serviceId/domains', async (req, res) => {
    res.status(201).json(await domains.addDomain(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  doc.post('/services/:serviceId/domains/:domainId/verify', {
    summary: 'Look at the domain\'s DNS now',
    description: 'While pending, the TXT record (what was found is in `lastCheck`); once verified, whether the domain points at the platform and HTTP reaches it, before a certificate is asked for.',
    params: domainParams,
    response: customDomainDtoSchema,
  });
  r.post('/services/:serviceId/domains/:domainId/verify', async (req, res) => {
    res.json(await domains.verifyDomain(ctx, currentUser(res), req.params.serviceId, req.params.domainId));
  });
  doc.delete('/services/:serviceId/domains/:domainId', { summary: 'Remove a custom domain: its route and certificate leave with the commit', params: domainParams, status: 204 });
  r.delete('/services/:serviceId/domains/:domainId', async (req, res) => {
    await domains.removeDomain(ctx, currentUser(res), req.params.serviceId, req.params.domainId);
    res.status(204).end();
  });
  return r;
}
