/**
 * Which keys of which Secrets a container of a pod spec is given, by every route the
 * kubelet has: an env var (`valueFrom.secretKeyRef`), `envFrom.secretRef` (every key), and
 * a mounted volume (`secret` or `projected` secret sources: the listed items, or every key
 * when none are listed). Used to show that no Secret key holding the git token reaches
 * Kaniko, in the rendered Job and in the Job as the cluster stored it.
 */
import type { V1Container, V1PodSpec, V1Volume } from '@kubernetes/client-node';

export interface SecretKeyGiven {
  secret: string;
  /** The key, or `*` for every key of the Secret. */
  key: string;
  /** How the container gets it: `env NAME`, `envFrom`, `volume NAME`. */
  via: string;
}

export function secretKeysGiven(spec: V1PodSpec, containerName: string): SecretKeyGiven[] {
  const container: V1Container | undefined = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === containerName);
  if (!container) throw new Error(`no container ${containerName} in the pod spec`);
  const given: SecretKeyGiven[] = [];
  for (const env of container.env ?? []) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) given.push({ secret: ref.name ?? '', key: ref.key, via: `env ${env.name}` });
  }
  for (const from of container.envFrom ?? []) {
    if (from.secretRef) given.push({ secret: from.secretRef.name ?? '', key: '*', via: 'envFrom' });
  }
  for (const mount of container.volumeMounts ?? []) {
    const volume: V1Volume | undefined = spec.volumes?.find((v) => v.name === mount.name);
    const via = `volume ${mount.name}`;
    const sources = [
      ...(volume?.secret ? [{ name: volume.secret.secretName ?? '', items: volume.secret.items }] : []),
      ...(volume?.projected?.sources ?? []).flatMap((source) => (source.secret ? [{ name: source.secret.name ?? '', items: source.secret.items }] : [])),
    ];
    for (const source of sources) {
      if (source.items === undefined || source.items.length === 0) given.push({ secret: source.name, key: '*', via });
      for (const item of source.items ?? []) given.push({ secret: source.name, key: item.key, via });
    }
  }
  return given;
}
