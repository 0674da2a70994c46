import { createHash, randomBytes } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { githubAppManifestRequestSchema, type GitHubAppManifestFormDto, type GitHubAppStatusDto } from '@dangus/common';
import { defaultAppName, manifestFormAction, renderManifest } from '../github/app-manifest.js';
import type { GitHubApp, ManifestConversion } from '../github/github-app.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { parseInput } from './validate.js';

/** How long the admin has on GitHub's page before the state expires. */
const STATE_TTL_MS = 60 * 60_000;
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ManifestSettings {
  publicUrl: string;
  callbackUrl: string;
  readOrgMembers: boolean;
}

function appOf(ctx: UseCaseContext): GitHubApp {
  if (!ctx.githubApp) throw new NotFoundError('GitHub App support');
  return ctx.githubApp;
}

/** What the System page shows about the App and its installations (admins). */
export async function githubAppStatus(ctx: UseCaseContext): Promise<GitHubAppStatusDto> {
  const app = appOf(ctx);
  const credentials = await app.credentials();
  const installations = await ctx.db.query<{ id: string; account_login: string; account_type: string; repository_selection: string; suspended: boolean; repositories: number }[]>(
    `SELECT i.id::text, i.account_login, i.account_type, i.repository_selection, i.suspended, count(r.repository_id)::int AS repositories
       FROM github_installations i LEFT JOIN github_installation_repositories r ON r.installation_id = i.id
      GROUP BY i.id ORDER BY i.account_login, i.id`,
  );
  return {
    connected: credentials !== undefined,
    source: credentials?.source ?? null,
    name: credentials?.name ?? null,
    slug: credentials?.slug ?? null,
    htmlUrl: credentials?.htmlUrl ?? null,
    installUrl: credentials ? app.installUrl(credentials) : null,
    installations: installations.map((i) => ({
      id: Number(i.id),
      account: i.account_login,
      accountType: i.account_type,
      repositorySelection: i.repository_selection,
      suspended: i.suspended,
      repositories: i.repositories,
    })),
  };
}

/**
 * Starts the manifest flow (admins): a one-time state bound to this admin, and the form
 * the browser posts to GitHub (`action` with the state, the `manifest` field as JSON).
 */
export async function beginManifest(ctx: UseCaseContext, user: CurrentUser, settings: ManifestSettings, body: unknown): Promise<GitHubAppManifestFormDto> {
  const app = appOf(ctx);
  const input = parseInput(githubAppManifestRequestSchema, body);
  if (input.owner === 'organization' && !input.organization) {
    throw new ValidationError('Name the organization that will own the App.', { organization: ['Required when the owner is an organization.'] });
  }
  if (await app.credentials()) throw new ConflictError('A GitHub App is already connected.');
  const state = randomBytes(32).toString('base64url');
  await ctx.db.query(`DELETE FROM github_app_manifest_states WHERE expires_at < now()`);
  await ctx.db.query(`INSERT INTO github_app_manifest_states (state_hash, user_id, expires_at) VALUES ($1, $2, $3)`, [
    hashState(state),
    user.id,
    new Date(Date.now() + STATE_TTL_MS),
  ]);
  const manifest = renderManifest({ ...settings, name: input.name ?? defaultAppName(settings.publicUrl) });
  return {
    action: manifestFormAction(app.webUrl, { organization: input.owner === 'organization' ? (input.organization ?? null) : null }, state),
    manifest: JSON.stringify(manifest),
  };
}

/**
 * GitHub's return from the manifest form: the state is consumed (once, by the admin who
 * started the flow), then the code is exchanged for the App's credentials, stored encrypted.
 * A failed or repeated exchange stores nothing.
 */
export async function completeManifest(ctx: UseCaseContext, user: CurrentUser, query: { code?: unknown; state?: unknown }): Promise<void> {
  const app = appOf(ctx);
  const code = typeof query.code === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(query.code) ? query.code : undefined;
  const state = typeof query.state === 'string' && query.state.length <= 100 ? query.state : undefined;
  if (!state) throw new ValidationError('The GitHub App flow came back without its state.', { state: ['Missing.'] });
  const [consumed] = await ctx.db.query<[{ n: number }]>(
    `WITH used AS (DELETE FROM github_app_manifest_states WHERE state_hash = $1 AND user_id = $2 AND expires_at > now() RETURNING 1)
     SELECT count(*)::int AS n FROM used`,
    [hashState(state), user.id],
  );
  if (consumed.n === 0) throw new ValidationError('This GitHub App flow expired or was already used: start again from the System page.', { state: ['Unknown, expired or used.'] });
  if (!code) throw new ValidationError('GitHub sent no code back.', { code: ['Missing.'] });
  let conversion: ManifestConversion;
  try {
    const octokit = new Octokit({ baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 15_000 } });
    const { data } = await octokit.rest.apps.createFromManifest({ code });
    conversion = {
      id: data.id,
      slug: data.slug ?? '',
      name: data.name,
      html_url: data.html_url,
      owner: 'login' in data.owner ? { login: data.owner.login } : null,
      client_id: data.client_id,
      client_secret: data.client_secret,
      pem: data.pem,
      webhook_secret: data.webhook_secret ?? null,
    };
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new UpstreamError(
      status === 404 || status === 422
        ? 'GitHub did not accept the code: it was already used or expired. Start again from the System page.'
        : `GitHub could not create the App${status ? ` (HTTP ${String(status)})` : ''}: start again from the System page.`,
      { cause: error },
    );
  }
  if (!conversion.slug || !conversion.webhook_secret) throw new UpstreamError('GitHub created the App without a slug or webhook secret: start again.');
  await app.store(conversion, user.id);
  ctx.logger.info({ appId: conversion.id, slug: conversion.slug, by: user.githubUsername }, 'GitHub App connected');
}

/** The page where the signed-in user installs the App on an account or organization. */
export async function installationPage(ctx: UseCaseContext): Promise<{ url: string }> {
  const app = appOf(ctx);
  const credentials = await app.credentials();
  if (!credentials) throw new NotFoundError('GitHub App');
  return { url: app.installUrl(credentials) };
}

function hashState(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}
