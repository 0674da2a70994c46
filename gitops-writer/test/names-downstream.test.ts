/**
 * One rule for names (issue 26): every project and service name the api's schemas
 * accept is accepted by everything it reaches: the renderer (a live service, a
 * build, both registry layouts), Kubernetes and DNS labels, the OCI grammar and
 * Harbor's project names. A name that one side takes and another refuses blocked
 * a tenant's every render; this property keeps the two sides one.
 */
import { HARBOR_PROJECT_MAX, HARBOR_PROJECT_PATTERN, namespaceFor, projectNameSchema, serviceHostFor, serviceNameSchema } from '@dangus/common';
import fc from 'fast-check';
import { dnsLabelSchema, imageReferenceSchema } from '../src/render/input-schema.js';
import { renderTenant } from '../src/render/render.js';
import type { RenderSettings } from '../src/render/types.js';
import { imageRepository, tenantHarborProject } from '../src/render/variables.js';
import type { TemplateSet } from '../src/templates/template-files.js';
import { SETTINGS, SHA_A, fullTenant, loadTemplates } from './support/fixtures.js';

const DIGEST = `sha256:${'c3'.repeat(32)}`;

/**
 * Candidate names, weighted to the edges: hyphen runs, `xn--`, digits first, a
 * trailing hyphen, the longest names, and plain labels.
 */
const candidate = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{1,60}$/),
  fc.stringMatching(/^[a-z][a-z0-9]{0,3}(-{1,3}[a-z0-9]{1,4}){0,5}-?$/),
  fc.constantFrom('a--b', 'xn--x', 'xn--bcher-kva', 'a-', '-a', '1a', 'a', 'a'.repeat(56), 'a'.repeat(57), `a${'-b'.repeat(27)}c`),
  fc.integer({ min: 1, max: 56 }).map((length) => 'z'.repeat(length)),
);

function accepted(name: string, schema: typeof projectNameSchema): boolean {
  return schema.safeParse(name).success;
}

describe('a name the api accepts is accepted downstream', () => {
  let templates: TemplateSet;
  beforeAll(async () => {
    templates = await loadTemplates();
  });

  it('refuses the names a downstream system refuses', () => {
    for (const name of ['a--b', 'xn--x', 'a-', '1a', '-a', 'a'.repeat(57)]) {
      expect({ name, project: accepted(name, projectNameSchema), service: accepted(name, serviceNameSchema) }).toEqual({
        name,
        project: false,
        service: false,
      });
    }
  });

  it.each(['shared', 'per-tenant'] as const)('renders every accepted name with the %s registry layout', (registryLayout) => {
    const settings: RenderSettings = { ...SETTINGS, registryLayout };
    let rendered = 0;
    fc.assert(
      fc.property(candidate, candidate, fc.stringMatching(/^[a-z0-9]{6}$/), (projectName, serviceName, userHash) => {
        fc.pre(accepted(projectName, projectNameSchema) && accepted(serviceName, serviceNameSchema));
        const namespace = namespaceFor(userHash, projectName);
        expect(dnsLabelSchema.safeParse(namespace).success).toBe(true);
        expect(dnsLabelSchema.safeParse(serviceHostFor(userHash, projectName, serviceName)).success).toBe(true);
        const harborProject = tenantHarborProject(settings, namespace);
        expect(HARBOR_PROJECT_PATTERN.test(harborProject) && harborProject.length <= HARBOR_PROJECT_MAX).toBe(true);
        const image = `${imageRepository(settings, namespace, serviceName)}:${SHA_A}@${DIGEST}`;
        expect(imageReferenceSchema.safeParse(image).success).toBe(true);

        // A live service that is building its next commit: every template renders.
        const tenant = fullTenant(1, userHash, projectName, serviceName);
        tenant.services[0]!.image = image;
        const files = renderTenant(tenant, settings, templates);
        expect(files.size).toBeGreaterThan(0);
        rendered += 1;
      }),
      { numRuns: 300 },
    );
    // The generators reach past the precondition often enough to mean something.
    expect(rendered).toBeGreaterThan(100);
  });
});
