import { dump, visit, type Document, type Node } from 'js-yaml';

/** Code-point order: the same on every machine, unlike `localeCompare`. */
function compareKeys(a: Node, b: Node): number {
  const x = a.kind === 'scalar' ? a.value : '';
  const y = b.kind === 'scalar' ? b.value : '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortMappings(documents: Document[]): void {
  visit(documents, (node) => {
    if (node.kind === 'mapping') node.items.sort((p, q) => compareKeys(p.key, q.key));
  });
}

/**
 * Serializes objects as one YAML stream, deterministically: keys sorted, no
 * anchors, no line folding. js-yaml's dump schema quotes every string another YAML
 * 1.1 or 1.2 parser could read as something else (`yes`, `0755`, `~`), which is
 * what Kubernetes' YAML decoder needs.
 */
export function toYamlStream(objects: readonly Record<string, unknown>[]): string {
  return objects
    .map((object) => dump(object, { noRefs: true, lineWidth: -1, transform: sortMappings }))
    .join('---\n');
}
