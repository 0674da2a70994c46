/**
 * A project's namespace is pinned on its row (`projects.namespace`, migration
 * 1765482000000): `{hash}-{project}` of the account that created it, kept whoever owns the
 * project later (a move changes no namespace, host, volume, image repository or state-repo
 * path). Every reader reads the row; what is named after the namespace's hash part (a new
 * service's host, a new bucket, the renderer's `userHash`) takes it from here, never from
 * the current owner.
 */

/** The hash part of a pinned namespace: the creating owner's hash. */
export function namespaceHash(project: { namespace: string; name: string }): string {
  return project.namespace.slice(0, project.namespace.length - project.name.length - 1);
}
