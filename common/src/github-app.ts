/**
 * The GitHub App's answers and requests (docs/architecture.md#github-app): the types the
 * api answers with and the UI reads are inferred from these schemas, which the OpenAPI
 * document also describes.
 */
import { z } from 'zod';

const GITHUB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `POST /api/system/github-app/manifest`: where the admin creates the App. */
export const githubAppManifestRequestSchema = z.strictObject({
  owner: z.enum(['user', 'organization']),
  organization: z.string().trim().regex(GITHUB_NAME, 'A GitHub organization name: letters, digits and "-".').optional(),
  name: z
    .string()
    .trim()
    .min(1)
    .max(34, 'GitHub App names are at most 34 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'Letters, digits, spaces, ".", "_" and "-".')
    .optional(),
});

/** The form the browser posts to GitHub: its `action` (with the one-time state) and the `manifest` field. */
export const githubAppManifestFormDtoSchema = z.strictObject({
  action: z.string(),
  manifest: z.string().describe('The App manifest, as JSON: GitHub reads it from the posted form.'),
});
export type GitHubAppManifestFormDto = z.infer<typeof githubAppManifestFormDtoSchema>;

/** One installation of the App, as the System page lists it. */
export const githubInstallationDtoSchema = z.strictObject({
  id: z.number().int(),
  account: z.string(),
  accountType: z.string(),
  repositorySelection: z.string(),
  suspended: z.boolean(),
  repositories: z.number().int(),
});

/** The App and its installations (admins). */
export const githubAppStatusDtoSchema = z.strictObject({
  connected: z.boolean(),
  source: z.enum(['environment', 'manifest']).nullable(),
  name: z.string().nullable(),
  slug: z.string().nullable(),
  htmlUrl: z.string().nullable(),
  installUrl: z.string().nullable(),
  installations: z.array(githubInstallationDtoSchema),
});
export type GitHubAppStatusDto = z.infer<typeof githubAppStatusDtoSchema>;

/** A repository the signed-in user reaches through one of the App's installations. */
export const userRepositoryDtoSchema = z.strictObject({
  id: z.number().int().describe('GitHub\'s repository id.'),
  fullName: z.string(),
  private: z.boolean(),
  defaultBranch: z.string().describe('The branch the new-service form preselects.'),
  repoUrl: z.string().describe('What a service stores: `https://github.com/{owner}/{repo}`.'),
  installationId: z.number().int(),
  account: z.string().describe('The account or organization the App is installed on.'),
  accountType: z.enum(['User', 'Organization']),
});
export type UserRepositoryDto = z.infer<typeof userRepositoryDtoSchema>;

/** `GET /api/github/repositories/{owner}/{repo}/branches`: a repository the user sees through the App, and its branches. */
export const repositoryBranchesDtoSchema = z.strictObject({
  repository: userRepositoryDtoSchema.pick({ id: true, fullName: true, private: true, defaultBranch: true, repoUrl: true }),
  branches: z.array(z.strictObject({ name: z.string() })).describe('The default branch first, then by name; at most 1,000.'),
  truncated: z.boolean().describe('More branches than listed: any other can be typed.'),
});
export type RepositoryBranchesDto = z.infer<typeof repositoryBranchesDtoSchema>;

/** One delivery to the App's webhook, and what it did (admins). */
export const appDeliveryDtoSchema = z.strictObject({
  id: z.string(),
  deliveryId: z.string().nullable().describe('GitHub\'s `X-GitHub-Delivery` (a GUID).'),
  event: z.string(),
  action: z.string().nullable(),
  installationId: z.number().int().nullable(),
  outcome: z.enum(['applied', 'ignored']),
  reason: z.string(),
  receivedAt: z.string(),
});
export type AppDeliveryDto = z.infer<typeof appDeliveryDtoSchema>;

/** `POST /api/system/github-app/deliveries/{id}/redeliver`: GitHub was asked to send it again. */
export const redeliveryDtoSchema = z.strictObject({ redelivered: z.literal(true), deliveryId: z.string() });
export type RedeliveryDto = z.infer<typeof redeliveryDtoSchema>;

/** The App's installation page on GitHub ("Install on another account"). */
export const installationPageDtoSchema = z.strictObject({ url: z.string() });
