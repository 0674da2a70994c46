/**
 * What a registry token grants, decided purely (distribution's token specification,
 * github.com/distribution/distribution/docs/content/spec/auth/token.md and scope.md): the client asks for scopes
 * `resourcetype[(class)]:resourcename:action[,action]*`, the token server answers with
 * the intersection of what was asked and what the client may do, never an error for
 * what it may not (the registry then refuses the request).
 *
 * A tenant's robot may push and pull the repositories of its own registry project
 * (`dangus-{namespace}/…`) and nothing else: no other project, no catalog, no delete.
 */

/** One entry of a token's `access` claim. */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

/** One scope the client asked for, parsed; null when it does not follow the grammar. */
export interface ParsedScope {
  type: string;
  /** A resource type's class, e.g. `plugin` of `repository(plugin)`. */
  class: string | null;
  name: string;
  actions: string[];
}

/** A scope not (fully) granted, and why: what the token server logs. */
export interface RefusedScope {
  scope: string;
  reason: string;
}

/** The actions a tenant's robot has on its own project's repositories. */
export const ROBOT_ACTIONS = ['pull', 'push'] as const;

const RESOURCE_TYPE = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/;
const ACTION = /^[a-z]*$|^\*$/;
// A repository name per the distribution reference grammar: path components of
// lowercase alphanumerics with `.`, `_`, `__` or dashes between, an optional host first.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * `type:name:actions`. The name may hold colons (a host with a port), so the type ends
 * at the first colon and the actions begin after the last.
 */
export function parseScope(scope: string): ParsedScope | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const typeMatch = RESOURCE_TYPE.exec(scope.slice(0, first));
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',');
  if (!typeMatch?.[1] || name === '' || !actions.every((a) => ACTION.test(a))) return null;
  return { type: typeMatch[1], class: typeMatch[2] ?? null, name, actions: actions.filter((a) => a !== '') };
}

/** Whether `name` is a repository of `project` (`project/component[/component…]`), host-free. */
export function isRepositoryOf(project: string, name: string): boolean {
  if (!name.startsWith(`${project}/`)) return false;
  const rest = name.slice(project.length + 1).split('/');
  return rest.length > 0 && rest.every((component) => COMPONENT.test(component));
}

/** The `scope` query parameters of a token request, each of which may hold several space-separated scopes. */
export function scopesOf(params: string[]): string[] {
  return params.flatMap((param) => param.split(' ')).filter((scope) => scope !== '');
}

/**
 * What a robot of `project` gets for the scopes asked (`project` null: an anonymous
 * client, which gets nothing: no repository is public). Every scope asked is in the
 * answer, with the actions granted (maybe none), as the specification's intersection.
 */
export function grantScopes(project: string | null, scopes: string[]): { access: RegistryAccess[]; refused: RefusedScope[] } {
  const access: RegistryAccess[] = [];
  const refused: RefusedScope[] = [];
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    if (!parsed) {
      refused.push({ scope, reason: 'not a scope (type:name:actions)' });
      continue;
    }
    const why =
      project === null
        ? 'anonymous: no repository is public'
        : parsed.type !== 'repository' || parsed.class !== null
          ? `a robot has no ${parsed.type} access`
          : !isRepositoryOf(project, parsed.name)
            ? `outside the robot's project ${project}`
            : null;
    const granted = why === null ? parsed.actions.filter((action) => (ROBOT_ACTIONS as readonly string[]).includes(action)) : [];
    const denied = parsed.actions.filter((action) => !granted.includes(action));
    if (denied.length > 0) refused.push({ scope, reason: why ?? `a robot may not ${denied.join(', ')}` });
    access.push({ type: parsed.type, name: parsed.name, actions: [...new Set(granted)] });
  }
  return { access, refused };
}
