/**
 * The labels of docs/architecture.md#names that let the watcher find what the platform
 * manages. Code sets them, not templates, so an edited template cannot lose them.
 */
import { isMapping } from './placeholders.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'dangus';
export const PROJECT_LABEL = 'dangus.cloud/project';
export const SERVICE_LABEL = 'dangus.cloud/service';
export const DEPLOYMENT_LABEL = 'dangus.cloud/deployment';

/** What an object belongs to; `null` parts are not labelled (a Namespace has no service). */
export interface Ownership {
  projectId: string;
  serviceId: string | null;
  deploymentId: string | null;
}

export function ownershipLabels(owner: Ownership): Record<string, string> {
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [PROJECT_LABEL]: owner.projectId,
  };
  if (owner.serviceId !== null) labels[SERVICE_LABEL] = owner.serviceId;
  if (owner.deploymentId !== null) labels[DEPLOYMENT_LABEL] = owner.deploymentId;
  return labels;
}

/**
 * Adds the labels to the object and, for workloads, to its pod template, so pods
 * can be watched per deployment too. The platform's labels win over a template's.
 */
export function applyLabels(object: Record<string, unknown>, labels: Record<string, string>): void {
  addLabels(object, labels);
  const spec = object.spec;
  if (isMapping(spec) && isMapping(spec.template)) addLabels(spec.template, labels);
}

function addLabels(holder: Record<string, unknown>, labels: Record<string, string>): void {
  const metadata = isMapping(holder.metadata) ? holder.metadata : {};
  const existing = isMapping(metadata.labels) ? metadata.labels : {};
  metadata.labels = { ...existing, ...labels };
  holder.metadata = metadata;
}
