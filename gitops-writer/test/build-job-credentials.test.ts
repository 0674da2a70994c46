/**
 * The build Job as rendered: the git token reaches the `fetch-source` init container and
 * never the `kaniko` container, by no route the kubelet has (env, envFrom, a mounted
 * volume's items). The table below shows the check sees each route.
 */
import type { V1Job, V1PodSpec } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { render } from '../src/render/render.js';
import { fullTenant, input, loadTemplates } from './support/fixtures.js';
import { secretKeysGiven, type SecretKeyGiven } from './support/secret-keys.js';

/** The fixture's build Secret: it holds `git-token` and `.dockerconfigjson`. */
const BUILD_SECRET = 'web-build';
const holdsGitToken = (given: SecretKeyGiven[]) => given.filter((g) => g.secret === BUILD_SECRET && (g.key === 'git-token' || g.key === '*'));

async function renderedPodSpec(): Promise<V1PodSpec> {
  const files = render(input([fullTenant(1, 'ab12cd', 'shop')]), await loadTemplates());
  const job = (loadAll(files.get('tenants/ab12cd-shop/web/build-b2b2b2b.yaml') ?? '') as V1Job[]).find((doc) => doc.kind === 'Job');
  const spec = job?.spec?.template.spec;
  if (!spec) throw new Error('no build Job rendered');
  return spec;
}

describe('the build Job and the git token', () => {
  it('gives the git token to fetch-source alone; Kaniko gets only the registry config', async () => {
    const spec = await renderedPodSpec();
    expect(secretKeysGiven(spec, 'fetch-source')).toEqual([{ secret: BUILD_SECRET, key: 'git-token', via: 'volume git-token' }]);
    expect(secretKeysGiven(spec, 'kaniko')).toEqual([{ secret: BUILD_SECRET, key: '.dockerconfigjson', via: 'volume registry-credentials' }]);
    const kaniko = spec.containers.find((c) => c.name === 'kaniko');
    expect(kaniko?.envFrom).toBeUndefined();
    expect(JSON.stringify(kaniko)).not.toMatch(/git-token|\/var\/run\/dangus/);
  });

  const tokenVolume = { name: 'git-token', mountPath: '/var/run/dangus/git' };
  it.each<[string, (spec: V1PodSpec) => void]>([
    ['an env var from the Secret', (spec) => kanikoOf(spec).env?.push({ name: 'T', valueFrom: { secretKeyRef: { name: BUILD_SECRET, key: 'git-token' } } })],
    ['envFrom the Secret', (spec) => (kanikoOf(spec).envFrom = [{ secretRef: { name: BUILD_SECRET } }])],
    ['the git-token volume mounted', (spec) => kanikoOf(spec).volumeMounts?.push(tokenVolume)],
    ['the registry volume with every key', (spec) => delete volumeOf(spec, 'registry-credentials').secret?.items],
    ['the registry volume with the token item too', (spec) => volumeOf(spec, 'registry-credentials').secret?.items?.push({ key: 'git-token', path: 't' })],
    [
      'a projected volume with the token item',
      (spec) => {
        spec.volumes?.push({ name: 'p', projected: { sources: [{ secret: { name: BUILD_SECRET, items: [{ key: 'git-token', path: 't' }] } }] } });
        kanikoOf(spec).volumeMounts?.push({ name: 'p', mountPath: '/p' });
      },
    ],
    [
      'a projected volume with every key',
      (spec) => {
        spec.volumes?.push({ name: 'p', projected: { sources: [{ serviceAccountToken: { path: 'sa' } }, { secret: { name: BUILD_SECRET } }] } });
        kanikoOf(spec).volumeMounts?.push({ name: 'p', mountPath: '/p' });
      },
    ],
  ])('the check sees the token given to Kaniko by %s', async (_route, mutate) => {
    const spec = await renderedPodSpec();
    expect(holdsGitToken(secretKeysGiven(spec, 'kaniko'))).toEqual([]);
    mutate(spec);
    expect(holdsGitToken(secretKeysGiven(spec, 'kaniko'))).toHaveLength(1);
  });
});

function kanikoOf(spec: V1PodSpec) {
  const kaniko = spec.containers.find((c) => c.name === 'kaniko');
  if (!kaniko) throw new Error('no kaniko container');
  return kaniko;
}

function volumeOf(spec: V1PodSpec, name: string) {
  const volume = spec.volumes?.find((v) => v.name === name);
  if (!volume) throw new Error(`no volume ${name}`);
  return volume;
}
