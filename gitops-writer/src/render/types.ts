/**
 * What the renderer reads. The api builds a {@link RenderInput} from the database
 * (one transaction's view); nothing here is fetched by the writer itself.
 */

import type { ServiceConfig } from '@dangus/common';

/** A Kubernetes resource quantity such as `500m`, `2`, `4Gi`. */
export type Quantity = string;

/** The apps' budget of a tenant namespace's ResourceQuota (a build's allowance comes on top). */
export interface TenantQuota {
  requestsCpu: Quantity;
  requestsMemory: Quantity;
  limitsCpu: Quantity;
  limitsMemory: Quantity;
  pods: number;
  persistentVolumeClaims: number;
  requestsStorage: Quantity;
}

/** Platform settings that shape every tenant's manifests (parsed once at start-up). */
export interface RenderSettings {
  /** Public apps live at `{host}.{baseDomain}`, each service's host label stored on its row. */
  baseDomain: string;
  /**
   * cert-manager (issue 34): the ClusterIssuer of custom domains' HTTP-01 certificates
   * (`null`: none is asked for, a domain is served over HTTP), and whether a DNS-01 issuer
   * serves every platform host with one wildcard certificate.
   */
  certificates?: { issuer: string | null; dns01Issuer: string | null };
  /** Registry host (and port) images are pushed to and pulled from, e.g. `harbor.example.com`. */
  harborHost: string;
  /** Harbor project holding every tenant image (`shared`), or the prefix of each tenant's own project (`per-tenant`). */
  harborProject: string;
  /**
   * `shared`: every image in `{harborHost}/{harborProject}/{namespace}/{service}`;
   * `per-tenant`: each tenant in a Harbor project of its own,
   * `{harborHost}/{harborProject}-{namespace}/{service}`, which its robot account alone may push to.
   */
  registryLayout: 'shared' | 'per-tenant';
  /** StorageClass of service volumes; `null` (the default) leaves it to the cluster's default class. */
  storageClass: string | null;
  /** `spec.ingressClassName` of every Ingress; `null` leaves it to the cluster default (default `traefik`). */
  ingressClassName: string | null;
  /** Whether Ingresses get a TLS section, and the Secret holding the certificate (`null`: the controller's default certificate). */
  tls: { enabled: boolean; secretName: string | null };
  /** Name of a `kubernetes.io/dockerconfigjson` Secret in each tenant namespace used to pull images; `null` for none. */
  imagePullSecret: string | null;
  /** The pinned Kaniko (or compatible) executor image. Kaniko upstream is archived: this is a setting. */
  builderImage: string;
  /** `activeDeadlineSeconds` of a build Job. */
  buildDeadlineSeconds: number;
  /** Namespace of the ingress controller the NetworkPolicy admits (k3s Traefik: `kube-system`). */
  ingressControllerNamespace: string;
  /** Image of the build's source fetch (init container): git and a POSIX shell. */
  gitImage: string;
  /** Origin builds fetch `/{owner}/{repo}.git` from (GitHub, or a mirror of it). */
  gitSourceUrl: string;
  /** Namespace of the cluster DNS (pods labelled `k8s-app: kube-dns`) tenants may query. */
  dnsNamespace: string;
  /** CIDRs tenant pods may not reach (the internet stays open), IPv4 and IPv6. */
  egressDeniedCidrs: string[];
  /**
   * The cluster's node addresses (their InternalIP and ExternalIP), denied to tenant pods
   * like the CIDRs above, each as a /32 or /128: the controller keeps them current.
   */
  nodeAddresses: string[];
  /** A CIDR builds may reach although denied above (the registry's address), or `null`. */
  buildEgressCidr: string | null;
  /**
   * The object-storage endpoint's address and port, which the tenants' apps (not their
   * builds) may reach although denied above (README "Object storage"), or `null`.
   */
  objectStorageEgress?: { cidr: string; port: number } | null;
  /** Container defaults of each tenant's LimitRange. */
  limitRange: {
    defaultCpu: Quantity;
    defaultMemory: Quantity;
    defaultRequestCpu: Quantity;
    defaultRequestMemory: Quantity;
  };
  /** Each tenant's ResourceQuota (the apps' budget): a person's projects'. */
  quota: TenantQuota;
  /**
   * The quota of a team's projects (issue 36: TEAM_NAMESPACE_QUOTA), each value given
   * replacing the person's; `null` or absent: the same as a person's.
   */
  teamQuota?: Partial<TenantQuota> | null;
  /**
   * Room for one build at a time, added to each tenant's quota on top of `quota` (the
   * apps' budget): the resources of the build Job's Kaniko container and one pod.
   */
  buildAllowance: {
    requestsCpu: Quantity;
    requestsMemory: Quantity;
    limitsCpu: Quantity;
    limitsMemory: Quantity;
  };
  /**
   * Flux, when it applies the state repo instead of the built-in applier: the namespace
   * of its GitRepository of this repo and that object's name. Each tenant's Flux
   * Kustomization (`flux/{namespace}.yaml`) lives beside it and applies `tenants/{namespace}`.
   */
  flux: { namespace: string; source: string };
}

/** A build in progress: rendered as a Kaniko Job until the build finishes. */
export interface BuildInput {
  /** Id of the deployment row the build belongs to (label `dangus.cloud/deployment`). */
  deploymentId: string;
  /** The pushed commit the build context is pinned to (40 hex digits). */
  commitSha: string;
  /** Per-build Secret holding the git token under the key `git-token` (owned by the Job, created by the api). */
  gitTokenSecretName: string;
  /** Secret holding a docker `config.json` for pushing under the key `.dockerconfigjson`; may be the same per-build Secret. */
  registrySecretName: string;
}

/**
 * Fields of a service's configuration the renderer gets in another form: the size as the
 * `resources` it names (the operator's SERVICE_SIZES, read by the api).
 */
export type ResolvedByTheLoader = 'size' & keyof ServiceConfig;

/**
 * One service of a tenant, as stored in the database: its whole configuration
 * (`serviceConfigSchema` of `@dangus/common`: name, source, port, storage, health check,
 * replicas) and what the api computes for it.
 */
export interface ServiceInput extends Omit<ServiceConfig, ResolvedByTheLoader> {
  id: string;
  /**
   * Its custom domains (issue 34), as stored (lowercase, punycode): each rendered into an
   * Ingress only once `verified`, with a Certificate once it points at the platform (`certificate`).
   */
  domains?: CustomDomainInput[];
  /**
   * Its public host label, `{host}.{baseDomain}`: fixed when the service was created and
   * stored with it (`serviceHostFor` in `@dangus/common`, or `{hash}-{service}` for older ones).
   */
  host: string;
  /**
   * Keyed HMAC of the service's env values, computed by the api. It becomes a pod
   * template annotation so that an env change rolls the pods without any value in git.
   */
  envRevision: string;
  /** When the owner last asked for a rolling restart (ISO 8601), or null: a pod template annotation. */
  restartedAt: string | null;
  /** CPU and memory of each pod (requests = limits), or null for the namespace's LimitRange defaults. */
  resources: { cpu: string; memory: string } | null;
  /**
   * The image currently deployed, or `null` while nothing has been built yet. No
   * Deployment is rendered while it is `null`: there is nothing to run, and a
   * placeholder image would only crash-loop. Service, Ingress and volume exist from
   * the start so the address is stable.
   */
  image: string | null;
  /** The current deployment row (label `dangus.cloud/deployment` of the Deployment and its pods). */
  currentDeploymentId: string | null;
  build: BuildInput | null;
  /** Its previews of pull requests (issue 35): none when absent. */
  previews?: PreviewInput[];
}

/**
 * A preview of a pull request of a service (docs/architecture.md#previews): its own
 * Deployment (once an image exists), Service, Ingress and build Job, under
 * `tenants/{namespace}/{service}--pr{n}/`, with the service's port and health check and
 * nothing else of it: no env values, no volume, no size (the LimitRange defaults), 1 replica.
 */
export interface PreviewInput {
  /** The preview's row (label `dangus.cloud/deployment` of its objects). */
  id: string;
  /** The pull request's number. */
  number: number;
  /** Its own host label under the wildcard, `{service}-pr{n}-{random}`. */
  host: string;
  /** The pull request's head commit it runs or builds. */
  commitSha: string;
  /** The image built of that commit, or null until one exists (no Deployment then). */
  image: string | null;
  build: BuildInput | null;
}

/** One project: a namespace and its services. */
export interface TenantInput {
  project: { id: string; name: string };
  /** The owner's six-character hash. */
  userHash: string;
  /** Must equal `{userHash}-{project.name}`. */
  namespace: string;
  /** Whether a team's account owns the project (its quota is then `settings.teamQuota`); absent: a person's. */
  team?: boolean;
  services: ServiceInput[];
}

/** A custom domain of a service. */
export interface CustomDomainInput {
  domain: string;
  status: 'pending' | 'verified';
  /** It points at the platform and answers over HTTP: its certificate may be asked for. */
  certificate: boolean;
}

/** Everything a full render reads. */
export interface RenderInput {
  settings: RenderSettings;
  tenants: TenantInput[];
}

/**
 * Rendered files keyed by their path in the state repo (`tenants/{ns}/...`), in a
 * stable order; the values are YAML text ending in a newline.
 */
export type RenderedFiles = Map<string, string>;
