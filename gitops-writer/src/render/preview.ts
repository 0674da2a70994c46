/**
 * A preview of a pull request rendered as a service of its own (docs/architecture.md#previews):
 * the service's templates with the preview's name, host, image and build, and nothing of the
 * service's env values, volume or size. Pure.
 */
import type { PreviewInput, RenderSettings, ServiceInput } from './types.js';
import type { TemplateValue } from './variable-catalog.js';

/**
 * `{service}--pr{n}`: the preview's objects and folder. No service's name has `--`, so no
 * preview's name is ever a service's (nor its `-env` Secret another's).
 */
export function previewName(serviceName: string, number: number): string {
  return `${serviceName}--pr${String(number)}`;
}

/** The service as its preview is built and run: its name, one replica, no volume, no size. */
export function previewService(service: ServiceInput, preview: PreviewInput): ServiceInput {
  return {
    ...service,
    name: previewName(service.name, preview.number),
    host: preview.host,
    storageGb: null,
    replicas: 1,
    resources: null,
    restartedAt: null,
    // Not the service's: a preview has none of its env values.
    envRevision: 'none',
    image: preview.image,
    currentDeploymentId: preview.id,
    build: preview.build,
    // The service's custom domains route to the service, never to a preview of it.
    domains: [],
    previews: [],
  };
}

/**
 * The service variables a preview adds: its own URL, number and commit, for the app's env
 * (its env Secret is `{service}--pr{n}-env`, its own, empty unless written).
 */
export function previewVariables(preview: PreviewInput, settings: RenderSettings): Record<string, TemplateValue> {
  return {
    preview_url: `${settings.tls.enabled ? 'https' : 'http'}://${preview.host}.${settings.baseDomain}`,
    preview_number: String(preview.number),
    preview_commit_sha: preview.commitSha,
  };
}
