/**
 * A preview of a pull request rendered as a service of its own (docs/architecture.md#previews):
 * the service's templates with the preview's name, host, image and build, and nothing of the
 * service's env values, volume or size. Pure.
 */
import { createHash } from 'node:crypto';
import { DNS_LABEL_MAX } from '@dangus/common';
import type { PreviewInput, RenderSettings, ServiceInput } from './types.js';
import type { TemplateValue } from './variable-catalog.js';

/** What a preview's name may have: a service's (NAME_MAX), so its `-env` Secret and every label value stay within 63. */
export const PREVIEW_NAME_MAX = DNS_LABEL_MAX - 7;
/** Hex digits of the digest that stands for the cut part of a long service name. */
const PREVIEW_DIGEST_LENGTH = 8;

/**
 * `{service}--pr{n}`: the preview's objects and folder. No service's name has `--`, so no
 * preview's name is ever a service's (nor its `-env` Secret another's). When that is over
 * {@link PREVIEW_NAME_MAX} (a long service name, a large pull request number), the service's
 * name is cut and a digest of the whole added, `{service…}--pr{n}-{digest}`, as a long host
 * is: every name derived from it (`-env`, the build Job's, label values) stays within
 * Kubernetes' 63 by construction, and the pull request's number is kept whole.
 */
export function previewName(serviceName: string, number: number): string {
  const full = `${serviceName}--pr${String(number)}`;
  if (full.length <= PREVIEW_NAME_MAX) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, PREVIEW_DIGEST_LENGTH);
  const suffix = `--pr${String(number)}-${digest}`;
  return `${serviceName.slice(0, PREVIEW_NAME_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
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
    // Kaniko's `--build-arg`s (build-job.yaml): fixed text, the values come through the kubelet's `$(VAR)` expansion.
    preview_build_arg_url: '--build-arg=DANGUS_PREVIEW_URL=$(DANGUS_PREVIEW_URL)',
    preview_build_arg_number: '--build-arg=DANGUS_PR_NUMBER=$(DANGUS_PR_NUMBER)',
    preview_build_arg_commit_sha: '--build-arg=DANGUS_COMMIT_SHA=$(DANGUS_COMMIT_SHA)',
  };
}
