// The token server's scopes against distribution's token specification
// (github.com/distribution/distribution/docs/content/spec/auth/token.md and scope.md).
import { grantScopes, isRepositoryOf, parseScope, scopesOf } from './registry-scopes.js';

const A = 'dangus-ab12cd-shop';

describe('registry scopes', () => {
  it('parses the grammar: type[(class)]:name:actions, a name with a host and port keeping its colon', () => {
    expect(parseScope('repository:samalba/my-app:pull,push')).toEqual({ type: 'repository', class: null, name: 'samalba/my-app', actions: ['pull', 'push'] });
    expect(parseScope('repository(plugin):samalba/my-plugin:pull')).toEqual({ type: 'repository', class: 'plugin', name: 'samalba/my-plugin', actions: ['pull'] });
    expect(parseScope('repository:localhost:5000/a/b:pull')).toEqual({ type: 'repository', class: null, name: 'localhost:5000/a/b', actions: ['pull'] });
    expect(parseScope('registry:catalog:*')).toEqual({ type: 'registry', class: null, name: 'catalog', actions: ['*'] });
    // An empty action list is allowed by the grammar (action := /[a-z]*/).
    expect(parseScope('repository:a/b:')).toEqual({ type: 'repository', class: null, name: 'a/b', actions: [] });
    for (const bad of ['', 'repository', 'repository:a/b', ':a/b:pull', 'Repository:a/b:pull', 'repository::pull', 'repository:a/b:PULL']) {
      expect(parseScope(bad)).toBeNull();
    }
  });

  it('splits repeated and space-separated scope parameters, as clients send them', () => {
    expect(scopesOf(['repository:a/b:pull repository:a/c:push', '', 'registry:catalog:*'])).toEqual(['repository:a/b:pull', 'repository:a/c:push', 'registry:catalog:*']);
  });

  it('grants a robot push and pull on its own project, the intersection of what it asked', () => {
    const { access, refused } = grantScopes(A, [`repository:${A}/web:pull,push`, `repository:${A}/api/worker:pull`]);
    expect(access).toEqual([
      { type: 'repository', name: `${A}/web`, actions: ['pull', 'push'] },
      { type: 'repository', name: `${A}/api/worker`, actions: ['pull'] },
    ]);
    expect(refused).toEqual([]);
  });

  it('grants no delete nor *, even on its own project, and says so', () => {
    const { access, refused } = grantScopes(A, [`repository:${A}/web:pull,delete,*`]);
    expect(access).toEqual([{ type: 'repository', name: `${A}/web`, actions: ['pull'] }]);
    expect(refused).toEqual([{ scope: `repository:${A}/web:pull,delete,*`, reason: 'a robot may not delete, *' }]);
  });

  it('grants nothing outside the project: another tenant, a prefix look-alike, the project root, a host-qualified name, the catalog, a class', () => {
    const asked = [
      'repository:dangus-zz99yy-shop/web:pull,push',
      `repository:${A}x/web:pull`,
      `repository:${A}-other/web:pull`,
      `repository:${A}:pull`,
      `repository:${A}/../dangus-zz99yy-shop/web:pull`,
      `repository:${A}//web:pull`,
      `repository:registry.local:5000/${A}/web:pull`,
      'registry:catalog:*',
      `repository(plugin):${A}/web:pull`,
    ];
    const { access, refused } = grantScopes(A, asked);
    // Every scope asked is answered (the specification: not an error), none with an action.
    expect(access.map((a) => a.actions)).toEqual(asked.map(() => []));
    expect(refused.map((r) => r.scope)).toEqual(asked);
    expect(refused[0]?.reason).toBe(`outside the robot's project ${A}`);
    expect(refused[7]?.reason).toBe('a robot has no registry access');
  });

  it('grants an anonymous client nothing', () => {
    const { access, refused } = grantScopes(null, [`repository:${A}/web:pull`]);
    expect(access).toEqual([{ type: 'repository', name: `${A}/web`, actions: [] }]);
    expect(refused).toEqual([{ scope: `repository:${A}/web:pull`, reason: 'anonymous: no repository is public' }]);
  });

  it('keeps what is not a scope out of the token', () => {
    const { access, refused } = grantScopes(A, ['nonsense']);
    expect(access).toEqual([]);
    expect(refused).toEqual([{ scope: 'nonsense', reason: 'not a scope (type:name:actions)' }]);
  });

  it('names a repository of a project only by its own path components', () => {
    expect(isRepositoryOf(A, `${A}/web`)).toBe(true);
    expect(isRepositoryOf(A, `${A}/a.b_c__d--e/f`)).toBe(true);
    expect(isRepositoryOf(A, `${A}/`)).toBe(false);
    expect(isRepositoryOf(A, `${A}/Web`)).toBe(false);
    expect(isRepositoryOf(A, `${A}/..`)).toBe(false);
  });
});
