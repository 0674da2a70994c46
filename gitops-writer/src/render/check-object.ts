/**
 * Everything a rendered object must satisfy before it may be written: the
 * invariants of the state repo, then the OpenAPI schema of its kind.
 */
import { schemaProblems } from './kubernetes-schema.js';
import { isMapping } from './placeholders.js';

/**
 * Problems of one rendered object of the tenant `namespace`; empty when valid.
 * Every object names its namespace explicitly (docs/architecture.md#the-state-repo) and stays
 * inside its tenant; a Secret is refused outright: no secret value enters git.
 */
export function kubernetesObjectProblems(object: Record<string, unknown>, namespace: string): string[] {
  const problems: string[] = [];
  const metadata = isMapping(object.metadata) ? object.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') problems.push('metadata.name is required');
  if (object.kind === 'Secret') problems.push('a Secret may not be rendered into git');
  if (object.kind === 'Namespace') {
    if (metadata.name !== namespace) problems.push(`a Namespace must be the tenant's own, ${namespace}`);
    if (metadata.namespace !== undefined) problems.push('a Namespace has no metadata.namespace');
  } else if (metadata.namespace !== namespace) {
    problems.push(`metadata.namespace must be ${namespace}, got ${JSON.stringify(metadata.namespace)}`);
  }
  problems.push(...schemaProblems(object));
  return problems;
}
