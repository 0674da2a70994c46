import { resolve } from 'node:path';
import type { Config } from '../config/config.js';

/** The cluster this process talks to, as its kubeconfig names it. */
export interface ClusterFacts {
  /** `KUBECONFIG`, or the pod's own service account. */
  source: 'KUBECONFIG' | 'in-cluster';
  context: string | undefined;
  server: string | undefined;
}

export type SummaryConfig = Pick<Config, 'role' | 'publicUrl' | 'host' | 'port' | 'localAuth' | 'github' | 'databaseUrl' | 'dataDir' | 'stateRepoDir'>;

/**
 * The one line a person at a terminal reads once the process listens (issue 28): where to
 * open it, how to sign in, whether a cluster is configured, where the data lives. It keeps
 * "is listening on", which scripts and tests wait for. `fields` are the same facts for a JSON log.
 */
export function startupSummary(config: SummaryConfig, cluster: ClusterFacts | undefined): { line: string; fields: Record<string, unknown> } {
  const bound = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${String(config.port)}`;
  const url = config.role === 'controller' ? bound : config.publicUrl;
  // Behind a proxy or on every address (HOST=0.0.0.0), what users open is PUBLIC_URL.
  const open = url === bound ? 'open it' : `open ${url}`;
  const oauth = config.github.oauth !== undefined;
  const signIn = oauth && config.localAuth ? 'github+local' : oauth ? 'github' : config.localAuth ? 'local' : 'none';
  const howToSignIn = {
    'github+local': `${open} and sign in with GitHub, or locally (no password; this machine only)`,
    github: `${open} and sign in with GitHub`,
    local: `${open} and sign in locally (no password; this machine only)`,
    none: 'nobody can sign in yet: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (a GitHub OAuth app)',
  }[signIn];
  const clusterPart = cluster
    ? cluster.source === 'in-cluster'
      ? `cluster: the one this pod runs in${cluster.server ? ` (${cluster.server})` : ''}`
      : `cluster: ${cluster.context ? `"${cluster.context}"` : 'the current context'}${cluster.server ? ` at ${cluster.server}` : ''} (KUBECONFIG)`
    : 'no cluster: pushes are recorded but not built (set KUBECONFIG to build and deploy)';
  const database = config.databaseUrl === undefined ? undefined : databaseWhere(config.databaseUrl);
  const dataPart =
    database === undefined
      ? `data in ${resolve(config.dataDir)} (embedded PostgreSQL, state repo, generated secrets)`
      : `data in PostgreSQL at ${database}${config.role === 'api' ? '' : `, state repo in ${resolve(config.stateRepoDir)}`}`;
  const head =
    config.role === 'controller'
      ? `Dangus Cloud's controller is listening on ${url} (probes and /status only)`
      : `Dangus Cloud${config.role === 'api' ? ' (api)' : ''} is listening on ${bound}: ${howToSignIn}`;
  return {
    line: `${head} · ${clusterPart} · ${dataPart}`,
    fields: {
      url,
      signIn,
      cluster: cluster ? { source: cluster.source, context: cluster.context ?? null, server: cluster.server ?? null } : null,
      data: database === undefined ? { embedded: resolve(config.dataDir) } : { postgres: database },
    },
  };
}

/** `host:port/database` of a PostgreSQL URL: never its user's password. */
function databaseWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(DATABASE_URL)';
  }
}
