import {
  ApiException,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SERVICE_LABEL, DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';

/** Who writes Secrets, as the cluster's managedFields show it. */
export const API_FIELD_MANAGER = 'dangus-api';

/** What a build needs that must not be in git: the clone token and the push credentials. */
export interface BuildCredentials {
  gitToken: string;
  /** A docker `config.json` for pushing to the registry. */
  dockerConfigJson: string;
}

/**
 * The Secrets the api writes straight into tenant namespaces (secret values never
 * reach git: docs/architecture.md#the-state-repo). The api has no read verbs on Secrets: every call
 * here is a write that is safe to repeat.
 */
export interface ClusterSecrets {
  /** Creates the per-build Secret; an existing one (a retry) is left as it is. */
  createBuildSecret(namespace: string, name: string, owner: { serviceId: string; deploymentId: string }, credentials: BuildCredentials): Promise<void>;
  /** Reads a build's Secret back (`null` when it is gone): what a restarted controller masks in its log. */
  readBuildSecret(namespace: string, name: string): Promise<BuildCredentials | null>;
  /** Deletes a Secret; one already gone is fine. */
  deleteSecret(namespace: string, name: string): Promise<void>;
  /** Writes the tenant's image pull Secret (`kubernetes.io/dockerconfigjson`) with exactly this config. */
  applyPullSecret(namespace: string, name: string, dockerConfigJson: string): Promise<void>;
  /** Writes the service's env Secret with exactly `env` (server-side apply: removed keys go). */
  applyEnvSecret(namespace: string, name: string, serviceId: string, env: { key: string; value: string }[]): Promise<void>;
}

export class KubernetesClusterSecrets implements ClusterSecrets {
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  constructor(kube: KubeConfig) {
    this.core = kube.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kube);
  }

  async createBuildSecret(
    namespace: string,
    name: string,
    owner: { serviceId: string; deploymentId: string },
    credentials: BuildCredentials,
  ): Promise<void> {
    const body: V1Secret = {
      metadata: {
        name,
        namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SERVICE_LABEL]: owner.serviceId, [DEPLOYMENT_LABEL]: owner.deploymentId },
      },
      type: 'Opaque',
      stringData: { 'git-token': credentials.gitToken, '.dockerconfigjson': credentials.dockerConfigJson },
    };
    try {
      await this.core.createNamespacedSecret({ namespace, body, fieldManager: API_FIELD_MANAGER });
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return;
      throw error;
    }
  }

  async readBuildSecret(namespace: string, name: string): Promise<BuildCredentials | null> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name });
      const value = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
      return { gitToken: value('git-token'), dockerConfigJson: value('.dockerconfigjson') };
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return null;
      throw error;
    }
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ namespace, name });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw error;
    }
  }

  async applyPullSecret(namespace: string, name: string, dockerConfigJson: string): Promise<void> {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(dockerConfigJson).toString('base64') },
    };
    await this.objects.patch(secret, undefined, undefined, API_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  async applyEnvSecret(namespace: string, name: string, serviceId: string, env: { key: string; value: string }[]): Promise<void> {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SERVICE_LABEL]: serviceId } },
      type: 'Opaque',
      // `data`, not `stringData`: server-side apply tracks the keys it owns in
      // `data`, so a key removed here is removed from the Secret.
      data: Object.fromEntries(env.map((entry) => [entry.key, Buffer.from(entry.value).toString('base64')])),
    };
    await this.objects.patch(secret, undefined, undefined, API_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}

/** The registry credentials of a build, as the `config.json` Kaniko reads. */
export function dockerConfigJson(registryHost: string, credentials: { username: string; password: string } | null): string {
  if (credentials === null) return JSON.stringify({ auths: {} });
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({ auths: { [registryHost]: { auth } } });
}

/** Every secret value of a build's credentials, as a `RUN` step could print them: the git token, each registry `auth` and its password. */
export function buildCredentialValues(credentials: BuildCredentials): string[] {
  const values = [credentials.gitToken];
  try {
    const config = JSON.parse(credentials.dockerConfigJson) as { auths?: Record<string, { auth?: string }> };
    for (const { auth } of Object.values(config.auths ?? {})) {
      if (!auth) continue;
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      values.push(auth, decoded, decoded.slice(decoded.indexOf(':') + 1));
    }
  } catch {
    // Not JSON: nothing more to mask than the token.
  }
  return values.filter(Boolean);
}
