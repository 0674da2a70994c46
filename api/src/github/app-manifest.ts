/**
 * GitHub's App manifest (docs/architecture.md#github-app), rendered from the platform's
 * settings alone: no user value reaches it but the App's name and the organization, which
 * are checked first. Pure: data in, data out.
 */

/** The permissions the App asks for (the list). */
export const APP_PERMISSIONS = {
  contents: 'read',
  metadata: 'read',
  checks: 'write',
  deployments: 'write',
  pull_requests: 'write',
  statuses: 'write',
} as const;

/** The events it subscribes to; `installation` and `installation_repositories` come to every App by themselves. */
export const APP_EVENTS = ['push', 'pull_request', 'repository'] as const;

export interface ManifestInput {
  publicUrl: string;
  /** Where GitHub sends the browser after signing in (the OAuth callback). */
  callbackUrl: string;
  name: string;
  /** Sign-in checks organization membership (ALLOWED_GITHUB_ORGS): the App must be allowed to read it. */
  readOrgMembers: boolean;
}

/** Where GitHub returns the browser with the conversion code. */
export const MANIFEST_RETURN_PATH = '/auth/github-app/created';

export function renderManifest(input: ManifestInput): Record<string, unknown> {
  return {
    name: input.name,
    url: input.publicUrl,
    hook_attributes: { url: `${input.publicUrl}/webhooks/github`, active: true },
    redirect_url: `${input.publicUrl}${MANIFEST_RETURN_PATH}`,
    callback_urls: [input.callbackUrl],
    setup_url: `${input.publicUrl}/`,
    setup_on_update: true,
    public: false,
    request_oauth_on_install: false,
    default_permissions: { ...APP_PERMISSIONS, ...(input.readOrgMembers ? { members: 'read' } : {}) },
    default_events: [...APP_EVENTS],
  };
}

/** GitHub's form that takes the manifest: a personal account's, or an organization's. */
export function manifestFormAction(webUrl: string, owner: { organization: string | null }, state: string): string {
  const path = owner.organization ? `/organizations/${encodeURIComponent(owner.organization)}/settings/apps/new` : '/settings/apps/new';
  return `${webUrl}${path}?state=${encodeURIComponent(state)}`;
}

/** A default name: GitHub App names are unique on GitHub and at most 34 characters. */
export function defaultAppName(publicUrl: string): string {
  return `Dangus ${new URL(publicUrl).hostname}`.slice(0, 34);
}
