import { NO_CLUSTER_REASON, NOTHING_RUNS_REASON, VOLUME_REPLICAS_REASON, decideAbilities, privateRepoReason, type ServiceFacts } from './service-abilities.js';

const facts: ServiceFacts = { cluster: true, hasToken: true, visibility: 'unknown', repo: 'acme/web', appRefusal: null, running: true, storageGb: null };
const ok = { ok: true, reason: null };

describe('what a service can do now (pure)', () => {
  it.each<[string, Partial<ServiceFacts>, keyof ReturnType<typeof decideAbilities>, { ok: boolean; reason: string | null }]>([
    ['everything, with a cluster, a token and a running release', {}, 'deploy', ok],
    ['no deploy without a cluster, whatever else', { cluster: false, visibility: 'public' }, 'deploy', { ok: false, reason: NO_CLUSTER_REASON }],
    ['no deploy of a private repository without a token', { hasToken: false, visibility: 'hidden' }, 'deploy', { ok: false, reason: privateRepoReason('acme/web') }],
    ['a public repository deploys without a token', { hasToken: false, visibility: 'public' }, 'deploy', ok],
    ['GitHub did not say: the deploy is tried, and says what GitHub answers', { hasToken: false, visibility: 'unknown' }, 'deploy', ok],
    ['a token reads a private repository', { visibility: 'hidden' }, 'deploy', ok],
    ['no deploy of a repository the GitHub App no longer covers', { appRefusal: 'not installed' }, 'deploy', { ok: false, reason: 'not installed' }],
    ['the App\'s refusal is said even without a cluster', { appRefusal: 'not installed', cluster: false }, 'deploy', { ok: false, reason: 'not installed' }],
    ['no restart without a cluster', { cluster: false }, 'restart', { ok: false, reason: NO_CLUSTER_REASON }],
    ['no restart of what does not run', { running: false }, 'restart', { ok: false, reason: NOTHING_RUNS_REASON }],
    ['one replica with a volume, cluster or not', { cluster: false, storageGb: 1 }, 'scale', { ok: false, reason: VOLUME_REPLICAS_REASON }],
    ['replicas without a volume', { cluster: false }, 'scale', ok],
    ['logs, events and usage need a cluster', { cluster: false }, 'observe', { ok: false, reason: NO_CLUSTER_REASON }],
  ])('%s', (_what, given, action, expected) => {
    expect(decideAbilities({ ...facts, ...given })[action]).toEqual(expected);
  });
});
