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
  installationId: z.number().int(),
  account: z.string(),
});
export type UserRepositoryDto = z.infer<typeof userRepositoryDtoSchema>;

/** The App's installation page on GitHub ("Install on another account"). */
export const installationPageDtoSchema = z.strictObject({ url: z.string() });
