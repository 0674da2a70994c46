/**
 * The pure renderer: (tenants, settings, templates) → files of the state repo.
 * No I/O, no clock, no randomness: the same input always gives the same bytes, so
 * an unchanged database renders an unchanged tree and makes no commit.
 */
import type { z } from 'zod';
import { ManifestValidationError, RenderInputError } from '../errors.js';
import type { ParsedTemplate, TemplateSet } from '../templates/template-files.js';
import { renderSettingsSchema, tenantInputSchema, tenantsSchema } from './input-schema.js';
import { kubernetesObjectProblems } from './check-object.js';
import { fluxIndexYaml, fluxKustomizationYaml, kustomizationYaml, rootKustomizationYaml } from './kustomization.js';
import { applyLabels, ownershipLabels, type Ownership } from './labels.js';
import { FLUX_DIR, KUSTOMIZATION_FILE, fluxPath, tenantPath } from './layout.js';
import { fillTemplate } from './placeholders.js';
import { toYamlStream } from './serialize.js';
import type { PreviewInput, RenderInput, RenderSettings, RenderedFiles, ServiceInput, TenantInput } from './types.js';
import { previewService, previewVariables } from './preview.js';
import type { TemplateValue } from './variable-catalog.js';
import { buildVariables, domainVariables, serviceVariables, shortSha, tenantVariables } from './variables.js';

/**
 * Renders every tenant plus the root `kustomization.yaml`: the whole state repo.
 *
 * @throws {RenderInputError} when the input fails the shared schemas.
 * @throws {ManifestValidationError} when a rendered object is not valid for its kind.
 */
export function render(input: RenderInput, templates: TemplateSet): RenderedFiles {
  const settings = parseOrThrow(renderSettingsSchema, input.settings, 'settings');
  const tenants = parseOrThrow(tenantsSchema, input.tenants, 'tenants');
  const files: RenderedFiles = new Map();
  const sorted = [...tenants].sort((a, b) => compare(a.namespace, b.namespace));
  files.set(KUSTOMIZATION_FILE, rootKustomizationYaml(sorted.map((tenant) => tenant.namespace)));
  if (sorted.length > 0) files.set(`${FLUX_DIR}/${KUSTOMIZATION_FILE}`, fluxIndexYaml(sorted.map((tenant) => tenant.namespace)));
  for (const tenant of sorted) {
    for (const [path, text] of renderValidTenant(tenant, settings, templates)) files.set(path, text);
  }
  return files;
}

/** A tenant {@link renderEach} could not render, and why. */
export interface TenantRenderFailure {
  namespace: string;
  projectId: string;
  error: RenderInputError | ManifestValidationError;
}

/**
 * Renders every tenant that can be rendered, each on its own: one tenant's bad
 * input never stops the others (docs/architecture.md#failure-isolation). The files
 * are those of {@link render} for the tenants that rendered, without the root and
 * `flux/` index files (the writer makes those from the tenants the repo holds);
 * the others are returned as failures.
 *
 * @throws {RenderInputError} when the settings fail the schema: that is no tenant's fault.
 */
export function renderEach(input: RenderInput, templates: TemplateSet): { files: RenderedFiles; failures: TenantRenderFailure[] } {
  const settings = parseOrThrow(renderSettingsSchema, input.settings, 'settings');
  const files: RenderedFiles = new Map();
  const failures: TenantRenderFailure[] = [];
  const namespaces = new Set<string>();
  for (const tenant of [...input.tenants].sort((a, b) => compare(a.namespace, b.namespace))) {
    try {
      if (namespaces.has(tenant.namespace)) {
        throw new RenderInputError('Invalid render input: tenant.namespace', { 'tenant.namespace': ['Duplicate namespace.'] });
      }
      namespaces.add(tenant.namespace);
      for (const [path, text] of renderValidTenant(parseOrThrow(tenantInputSchema, tenant, 'tenant'), settings, templates)) files.set(path, text);
    } catch (error) {
      if (!(error instanceof RenderInputError || error instanceof ManifestValidationError)) throw error;
      failures.push({ namespace: tenant.namespace, projectId: tenant.project.id, error });
    }
  }
  return { files, failures };
}

/**
 * Renders one tenant: every file below `tenants/{namespace}/`, its
 * `kustomization.yaml` included, and its Flux Kustomization `flux/{namespace}.yaml`
 * (the root and `flux/` index files are the writer's business).
 *
 * @throws {RenderInputError} when the input fails the shared schemas.
 * @throws {ManifestValidationError} when a rendered object is not valid for its kind.
 */
export function renderTenant(tenant: TenantInput, settings: RenderSettings, templates: TemplateSet): RenderedFiles {
  return renderValidTenant(
    parseOrThrow(tenantInputSchema, tenant, 'tenant'),
    parseOrThrow(renderSettingsSchema, settings, 'settings'),
    templates,
  );
}

function renderValidTenant(tenant: TenantInput, settings: RenderSettings, templates: TemplateSet): RenderedFiles {
  const ns = tenant.namespace;
  const tenantValues = tenantVariables(tenant, settings);
  const seen = new Map<string, string>();
  const files: RenderedFiles = new Map();
  const tenantResources: string[] = [];

  const emit = (
    template: ParsedTemplate,
    values: Record<string, TemplateValue>,
    owner: Ownership,
    file: string,
    service?: string,
  ): string | null => {
    const path = tenantPath(ns, file, service);
    const objects = renderTemplate(template, values, owner, path, ns, seen);
    if (objects.length === 0) return null;
    files.set(path, toYamlStream(objects));
    return file;
  };

  const tenantOwner: Ownership = { projectId: tenant.project.id, serviceId: null, deploymentId: null };
  const namespaceFile = emit(templates.namespace, tenantValues, tenantOwner, 'namespace.yaml');
  if (namespaceFile !== null) tenantResources.push(namespaceFile);

  const services = [...tenant.services].sort((a, b) => compare(a.name, b.name));
  for (const service of services) {
    const values = { ...tenantValues, ...serviceVariables(tenant, service, settings) };
    const owner: Ownership = {
      projectId: tenant.project.id,
      serviceId: service.id,
      deploymentId: service.currentDeploymentId,
    };
    const emitted = [
      service.image === null ? null : emit(templates.deployment, values, owner, 'deployment.yaml', service.name),
      emit(templates.service, values, owner, 'service.yaml', service.name),
      emit(templates.ingress, values, owner, 'ingress.yaml', service.name),
      service.storageGb === null ? null : emit(templates.pvc, values, owner, 'pvc.yaml', service.name),
      renderBuild(service, values, owner, emit),
      emit(templates.customDomains, values, owner, 'custom-domains.yaml', service.name),
      // Only a verified domain routes (issue 34): its Ingress, and its Certificate once it points here.
      ...(service.domains ?? [])
        .filter((domain) => domain.status === 'verified')
        .map((domain) =>
          emit(templates.customDomain, { ...values, ...domainVariables(tenant, domain, settings, service) }, owner, `domain-${domain.domain}.yaml`, service.name),
        ),
    ].filter((file): file is string => file !== null);
    if (emitted.length === 0) continue;
    files.set(tenantPath(ns, KUSTOMIZATION_FILE, service.name), kustomizationYaml(emitted));
    tenantResources.push(service.name);
    for (const preview of service.previews ?? []) renderPreview(service, preview);
  }

  files.set(tenantPath(ns, KUSTOMIZATION_FILE), kustomizationYaml(tenantResources));
  files.set(fluxPath(ns), fluxKustomizationYaml(ns, tenant.project.id, settings.flux));
  return new Map([...files].sort(([a], [b]) => compare(a, b)));

  /** A preview: the service's templates for its own folder `{service}--pr{n}/` (preview.ts). */
  function renderPreview(service: ServiceInput, preview: PreviewInput): void {
    const own = previewService(service, preview);
    const values = { ...tenantValues, ...serviceVariables(tenant, own, settings), ...previewVariables(preview, settings) };
    const owner: Ownership = { projectId: tenant.project.id, serviceId: service.id, deploymentId: preview.id };
    const emitted = [
      own.image === null ? null : emit(templates.deployment, values, owner, 'deployment.yaml', own.name),
      emit(templates.service, values, owner, 'service.yaml', own.name),
      emit(templates.ingress, values, owner, 'ingress.yaml', own.name),
      renderBuild(own, values, owner, emit),
    ].filter((file): file is string => file !== null);
    files.set(tenantPath(ns, KUSTOMIZATION_FILE, own.name), kustomizationYaml(emitted));
    tenantResources.push(own.name);
  }

  function renderBuild(
    service: ServiceInput,
    values: Record<string, TemplateValue>,
    owner: Ownership,
    emitFile: typeof emit,
  ): string | null {
    if (service.build === null) return null;
    const buildValues = { ...values, ...buildVariables(tenant, service, service.build, settings) };
    const buildOwner = { ...owner, deploymentId: service.build.deploymentId };
    return emitFile(templates.buildJob, buildValues, buildOwner, `build-${shortSha(service.build.commitSha)}.yaml`, service.name);
  }
}

/** Fills, labels and checks every document of one template. */
function renderTemplate(
  template: ParsedTemplate,
  values: Record<string, TemplateValue>,
  owner: Ownership,
  path: string,
  namespace: string,
  seen: Map<string, string>,
): Record<string, unknown>[] {
  const labels = ownershipLabels(owner);
  const objects: Record<string, unknown>[] = [];
  for (const document of template.documents) {
    const object = fillTemplate(document, values);
    if (object === null) continue;
    applyLabels(object, labels);
    const problems = kubernetesObjectProblems(object, namespace);
    const id = objectId(object);
    const earlier = seen.get(id);
    if (earlier !== undefined) problems.push(`also rendered in ${earlier}`);
    if (problems.length > 0) throw new ManifestValidationError(path, id, problems);
    seen.set(id, path);
    objects.push(object);
  }
  return objects;
}

function objectId(object: Record<string, unknown>): string {
  const metadata = object.metadata as Record<string, unknown> | undefined;
  return `${String(object.apiVersion)}/${String(object.kind)} ${String(metadata?.name)}`;
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = Object.create(null) as Record<string, string[]>;
  for (const issue of result.error.issues) {
    const key = [root, ...issue.path.map(String)].join('.');
    (fields[key] ??= []).push(issue.message);
  }
  throw new RenderInputError(`Invalid render input: ${Object.keys(fields).join(', ')}`, fields);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
