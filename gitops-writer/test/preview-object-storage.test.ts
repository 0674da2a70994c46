/**
 * Object storage and previews (README "Object storage"): a preview gets no bucket. The
 * service's bucket variables live only in its env Secret `{service}-env` (written by the api,
 * never in git) and move its env revision; a preview's Deployment names its own Secret and
 * carries its own revision, so neither the variables nor a rotation of the key reach it.
 */
import { join } from 'node:path';
import { render } from '../src/render/render.js';
import type { RenderInput } from '../src/render/types.js';
import { TESTDATA, loadTemplates, readJson } from './support/fixtures.js';

const revisionOf = (deployment: string) => /dangus\.cloud\/env-revision: ['"]?([^'"\n]+)/.exec(deployment)?.[1] ?? null;

describe('a preview of a service with object storage', () => {
  it('names neither the service\'s env Secret nor its env revision, whatever that revision is', async () => {
    const input = await readJson<RenderInput>(join(TESTDATA, 'previews', 'input', 'input.json'));
    const service = input.tenants[0]?.services[0];
    if (!service) throw new Error('fixture changed');
    const templates = await loadTemplates();
    const revisions = [];
    // The service's revision before and after its bucket's key changed (enable, rotate).
    for (const revision of [`hmac-sha256:${'a'.repeat(64)}`, `hmac-sha256:${'b'.repeat(64)}`]) {
      service.envRevision = revision;
      const files = render(input, templates);
      const own = files.get('tenants/ab12cd-shop/web/deployment.yaml') ?? '';
      const preview = files.get('tenants/ab12cd-shop/web--pr7/deployment.yaml') ?? '';
      expect(revisionOf(own)).toBe(revision);
      expect(preview).toContain('name: web--pr7-env');
      expect(preview).not.toMatch(/\bweb-env\b/);
      expect(revisionOf(preview)).not.toBe(revision);
      revisions.push(revisionOf(preview));
    }
    // The preview's revision did not move with the service's: no rollout of it either.
    expect(revisions[0]).not.toBeNull();
    expect(revisions[1]).toBe(revisions[0]);
  });
});
