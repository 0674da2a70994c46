/**
 * What the owner of a service can do now, and why not (`ServiceDto.can`): the one source of
 * the reasons the UI shows on disabled buttons and the api gives when it refuses the same
 * action. The decision is pure ({@link decideAbilities}); the facts come from the process
 * (is there a cluster), the owner (a GitHub token) and GitHub (is the repository public).
 */
import { REPO_URL_PATTERN, type ActionAbilityDto, type ClusterStatusDto, type ServiceAbilitiesDto } from '@dangus/common';
import { LOCAL_GITHUB_ID, isGitHubAccount } from '../auth/local-sign-in.js';
import { ConflictError, NoClusterError } from '../errors.js';
import type { Visibility } from '../github/repo-visibility.js';
import { repositoryAccess } from '../github/repository-access.js';
import type { Service } from '../db/entities/index.js';
import type { UseCaseContext } from './context.js';

export const NO_CLUSTER_REASON =
  'No Kubernetes cluster is connected (KUBECONFIG is not set and the platform is not running in a pod): pushes are recorded and wait, and nothing builds or runs. Point KUBECONFIG at a cluster and restart the platform.';

export const VOLUME_REPLICAS_REASON = 'A service with a volume runs one replica: its volume (ReadWriteOnce) mounts on one node at a time. Remove the volume to run more.';

export const NOTHING_RUNS_REASON = 'Nothing runs yet: the service has no deployment to restart.';

/** Whether this process reaches a cluster, for every page's banner (`GET /auth/me`). */
export function clusterStatus(ctx: Pick<UseCaseContext, 'clusterConnected'>): ClusterStatusDto {
  return ctx.clusterConnected ? { connected: true, reason: null } : { connected: false, reason: NO_CLUSTER_REASON };
}

/** Throws the `no_cluster` answer (503, never logged) when there is no cluster. */
export function requireCluster(ctx: Pick<UseCaseContext, 'clusterConnected'>): void {
  if (!ctx.clusterConnected) throw new NoClusterError(NO_CLUSTER_REASON);
}

export interface ServiceFacts {
  cluster: boolean;
  /** The owner signed in with GitHub (the local user has no token). */
  hasToken: boolean;
  /** Only asked when it matters (no token, a cluster): else `unknown`. */
  visibility: Visibility;
  repo: string;
  /** Why the GitHub App cannot read the repository (uninstalled, removed from its installation), or null. */
  appRefusal: string | null;
  /** A release runs (its image is committed). */
  running: boolean;
  storageGb: number | null;
}

const ok: ActionAbilityDto = { ok: true, reason: null };
const no = (reason: string): ActionAbilityDto => ({ ok: false, reason });

export function privateRepoReason(repo: string): string {
  return `${repo} is private or does not exist on GitHub, and you signed in without GitHub, so the platform has no token to read it: sign in with GitHub, or make the repository public.`;
}

/** The abilities, from the facts (pure). */
export function decideAbilities(facts: ServiceFacts): ServiceAbilitiesDto {
  return {
    // The App's refusal first: it is the repository's own problem, shown on its page even without a cluster.
    deploy: facts.appRefusal !== null
      ? no(facts.appRefusal)
      : !facts.cluster
        ? no(NO_CLUSTER_REASON)
        : !facts.hasToken && facts.visibility === 'hidden'
          ? no(privateRepoReason(facts.repo))
          : ok,
    restart: !facts.cluster ? no(NO_CLUSTER_REASON) : !facts.running ? no(NOTHING_RUNS_REASON) : ok,
    scale: facts.storageGb !== null ? no(VOLUME_REPLICAS_REASON) : ok,
    observe: facts.cluster ? ok : no(NO_CLUSTER_REASON),
  };
}

/** `owner/repo` of a service's repository URL; 409 when it is not a GitHub repository. */
export function repoOf(service: Pick<Service, 'repoUrl'>): { owner: string; repo: string } {
  const match = REPO_URL_PATTERN.exec(service.repoUrl);
  if (!match?.[1] || !match[2]) throw new ConflictError('The service has no valid GitHub repository URL.');
  return { owner: match[1], repo: match[2] };
}

/** Whether anyone may read the repository; asked of GitHub (anonymously, cached) only for an owner without a token and with a cluster. */
export async function visibilityFor(ctx: UseCaseContext, githubId: string, service: Pick<Service, 'repoUrl'>): Promise<Visibility> {
  if (!ctx.clusterConnected || isGitHubAccount(githubId) || !ctx.repoVisibility) return 'unknown';
  const match = REPO_URL_PATTERN.exec(service.repoUrl);
  if (!match?.[1] || !match[2]) return 'unknown';
  return ctx.repoVisibility.of(match[1], match[2]);
}

/** The service's abilities for its owner. */
export async function serviceAbilities(
  ctx: UseCaseContext,
  userId: string,
  service: Pick<Service, 'id' | 'repoUrl' | 'storageGb' | 'githubRepositoryId'>,
): Promise<ServiceAbilitiesDto> {
  const rows: { github_id: string; running: boolean }[] = await ctx.db.query(
    `SELECT u.github_id, EXISTS (
              SELECT 1 FROM services s JOIN deployments d ON d.id = s.current_deployment_id AND d.image_tag IS NOT NULL WHERE s.id = $2
            ) AS running
       FROM users u WHERE u.id = $1`,
    [userId, service.id],
  );
  const githubId = rows[0]?.github_id ?? LOCAL_GITHUB_ID;
  const [visibility, access] = await Promise.all([visibilityFor(ctx, githubId, service), repositoryAccess(accessDeps(ctx), service)]);
  const match = REPO_URL_PATTERN.exec(service.repoUrl);
  return decideAbilities({
    cluster: ctx.clusterConnected,
    hasToken: isGitHubAccount(githubId),
    visibility,
    repo: match?.[1] && match[2] ? `${match[1]}/${match[2]}` : service.repoUrl,
    appRefusal: access.via === 'refused' ? access.reason : null,
    running: rows[0]?.running === true,
    storageGb: service.storageGb,
  });
}

/** What deciding how a repository is read needs of the context. */
export function accessDeps(ctx: UseCaseContext) {
  return {
    db: ctx.db,
    githubApp: ctx.githubApp,
    visibility: (owner: string, repo: string) => (ctx.repoVisibility ? ctx.repoVisibility.of(owner, repo) : ctx.github.repoVisibility(owner, repo).catch(() => 'unknown' as const)),
  };
}
