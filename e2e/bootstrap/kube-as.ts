// Kubernetes clients that act as a ServiceAccount, with a real token from the
// TokenRequest API: what the api and the applier pods get in the cluster.
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig for the same cluster as `admin`, authenticated as namespace/serviceAccount. */
export async function kubeConfigAs(admin: KubeConfig, namespace: string, serviceAccount: string): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${serviceAccount}`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: serviceAccount, cluster: cluster.name, user: serviceAccount }],
    currentContext: serviceAccount,
  });
  return kc;
}

/** One question to the authorizer, as in `kubectl auth can-i`. */
export interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Whether the identity of `kc` may do `access` (SelfSubjectAccessReview: RBAC only, not admission). */
export async function canI(kc: KubeConfig, access: Access): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group: '', ...access } } },
  });
  return review.status?.allowed ?? false;
}

/** The HTTP status of a call: 2xx when it succeeded, the API's code when it was refused. */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}
