// Identities for the node's host processes: a ServiceAccount with the rights a component's
// own manifests give it, and a kubeconfig carrying its token.
import { readFileSync } from 'node:fs';

import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';

/**
 * A ServiceAccount `kube-system/{name}` with a ClusterRole of `rules` (`dangus-e2e-{name}`),
 * plus the ClusterRoles `clusterRoles` and the kube-system Roles `roles` bound to it; its token.
 */
export async function serviceAccountToken(
  kc: KubeConfig,
  name: string,
  rules: V1PolicyRule[],
  extra: { clusterRoles?: string[]; roles?: string[] } = {},
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const subjects = [{ kind: 'ServiceAccount', name, namespace: 'kube-system' }];
  await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: { metadata: { name } } });
  const own = `dangus-e2e-${name}`;
  await rbac.createClusterRole({ body: { metadata: { name: own }, rules } });
  for (const role of [own, ...(extra.clusterRoles ?? [])]) {
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: role === own ? own : `${own}-${role.replaceAll(':', '-')}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects },
    });
  }
  for (const role of extra.roles ?? []) {
    await rbac.createNamespacedRoleBinding({
      namespace: 'kube-system',
      body: { metadata: { name: `dangus-e2e-${name}-${role}` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role }, subjects },
    });
  }
  const token = await core.createNamespacedServiceAccountToken({
    name, namespace: 'kube-system', body: { spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 86_400 } },
  });
  const value = token.status?.token;
  if (!value) throw new Error(`no token for the ${name} ServiceAccount`);
  return value;
}

/** A kubeconfig that authenticates with a bearer token. */
export function tokenKubeconfig(server: string, caCertPath: string, token: string): string {
  return `${JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': readFileSync(caCertPath).toString('base64') } }],
    users: [{ name: 'e2e', user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e' } }],
    'current-context': 'e2e',
  })}\n`;
}
