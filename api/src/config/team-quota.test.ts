// TEAM_NAMESPACE_QUOTA (issue 36): a team's projects' quota, by the ResourceQuota's names,
// each value in place of a person's; anything else stops the start with the setting named.
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('TEAM_NAMESPACE_QUOTA', () => {
  it('is none by default: a team project gets a person\'s quota', () => {
    expect(loadConfig({}).render.teamQuota).toBeNull();
    expect(loadConfig({ TEAM_NAMESPACE_QUOTA: '{}' }).render.teamQuota).toBeNull();
  });

  it('reads the ResourceQuota\'s names into the render settings, only those given', () => {
    const config = loadConfig({ TEAM_NAMESPACE_QUOTA: '{"requests.cpu": "4", "limits.memory": "16Gi", "pods": 40, "persistentvolumeclaims": 0}' });
    expect(config.render.teamQuota).toEqual({ requestsCpu: '4', limitsMemory: '16Gi', pods: 40, persistentVolumeClaims: 0 });
  });

  it.each([
    ['not json', /TEAM_NAMESPACE_QUOTA is JSON/],
    ['[]', /TEAM_NAMESPACE_QUOTA: /],
    ['{"limits.cpu": "8\\nkind: Secret"}', /TEAM_NAMESPACE_QUOTA: limits\.cpu: a CPU quantity/],
    ['{"limits.cpu": 8}', /TEAM_NAMESPACE_QUOTA: limits\.cpu: /],
    ['{"pods": "40"}', /TEAM_NAMESPACE_QUOTA: pods: /],
    ['{"pods": 0}', /TEAM_NAMESPACE_QUOTA: pods: /],
    ['{"requests.memory": "-1Gi"}', /TEAM_NAMESPACE_QUOTA: requests\.memory: a memory quantity/],
    ['{"services": 3}', /TEAM_NAMESPACE_QUOTA: .*services/],
  ])('refuses %s, naming the setting', (value, message) => {
    const problems = problemsOf({ TEAM_NAMESPACE_QUOTA: value });
    expect(problems.join('\n')).toMatch(message);
  });
});
