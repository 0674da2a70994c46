import { buildJobName } from '@dangus/gitops-writer';

/**
 * The per-build Secret (git token + registry credentials) of a build Job: the
 * Job's own name, so each build has its own and removing one cannot touch another.
 */
export function buildSecretName(serviceName: string, commitSha: string): string {
  return buildJobName(serviceName, commitSha);
}

/** The Secret the api writes the service's env values into (`envFrom` of its Deployment). */
export function envSecretName(serviceName: string): string {
  return `${serviceName}-env`;
}
