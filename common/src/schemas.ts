import { z } from 'zod';
import { WATCH_PATHS_MAX, normaliseContextDir, normaliseWatchPaths, watchPathProblem } from './watch-paths.js';
import {
  NAME_MAX,
  PROJECT_NAME_PATTERN,
  SERVICE_NAME_PATTERN,
  isValidBranchName,
} from './names.js';

/** Every status a deployment row moves through (docs/architecture.md#status). */
export const DEPLOYMENT_STATUSES = ['pending', 'building', 'deploying', 'live', 'failed'] as const;
export const deploymentStatusSchema = z.enum(DEPLOYMENT_STATUSES);
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

const NAME_RULE =
  'Use lowercase letters and digits, starting with a letter, with single "-" between them (not at the end, never "--").';

export const projectNameSchema = z
  .string()
  .min(1, 'Name is required.')
  .max(NAME_MAX, `At most ${NAME_MAX} characters: the namespace {hash}-{name} must fit in 63.`)
  .regex(
    PROJECT_NAME_PATTERN,
    NAME_RULE,
  );

export const serviceNameSchema = z
  .string()
  .min(1, 'Name is required.')
  .max(NAME_MAX, `At most ${NAME_MAX} characters.`)
  .regex(
    SERVICE_NAME_PATTERN,
    NAME_RULE,
  );

/** `https://github.com/{owner}/{repo}`, optionally ending in `.git`. */
export const REPO_URL_PATTERN =
  /^https:\/\/github\.com\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100}?)(?:\.git)?$/;

export const repoUrlSchema = z
  .string()
  .max(200, 'At most 200 characters.')
  .regex(REPO_URL_PATTERN, 'Use https://github.com/{owner}/{repo}.')
  .refine((url) => !/\/\.{1,2}(\.git)?$/.test(url), 'Use https://github.com/{owner}/{repo}.');

export const branchSchema = z
  .string()
  .max(255, 'At most 255 characters.')
  .refine(isValidBranchName, 'Not a valid git branch name.')
  // Kaniko's git context is `git://host/repo#refs/heads/{branch}#{sha}`: a `#` would split it.
  .refine((ref) => !ref.includes('#'), 'A branch name may not contain "#".');

export const dockerfilePathSchema = z
  .string()
  .min(1, 'Path is required.')
  .max(255, 'At most 255 characters.')
  .regex(/^[A-Za-z0-9._/-]+$/, 'Use letters, digits, ".", "_", "-" and "/".')
  .refine((p) => !p.startsWith('/'), 'Use a path relative to the repository root.')
  .refine((p) => !p.split('/').includes('..'), 'The path may not contain "..".');

/**
 * The build context, relative to the repository root (`.` for the root, the default): what
 * Kaniko sees as the build's folder, and what the Dockerfile path is relative to.
 */
export const contextDirSchema = z
  .string()
  .max(255, 'At most 255 characters.')
  .transform(normaliseContextDir)
  .pipe(
    z
      .string()
      .refine((p) => !p.startsWith('/'), 'Use a path relative to the repository root (apps/web, not /apps/web).')
      .refine((p) => !p.split('/').includes('..'), 'The path may not contain "..".')
      .regex(/^[A-Za-z0-9._/-]+$/, 'Use letters, digits, ".", "_", "-" and "/".'),
  );

/**
 * Gitignore-style patterns of the files whose change builds the service (watch-paths.ts);
 * none: every push builds. Entries are split on commas and trimmed, so
 * `apps/web/**, packages/ui/**` is two patterns.
 */
export const watchPathsSchema = z
  .array(z.string().max(10_000, 'At most 10,000 characters.'), { error: 'A list of patterns (strings).' })
  .max(1_000, 'At most 1,000 entries.')
  .transform(normaliseWatchPaths)
  .pipe(
    z
      .array(
        z.string().superRefine((pattern, ctx) => {
          const problem = watchPathProblem(pattern);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .max(WATCH_PATHS_MAX, `At most ${String(WATCH_PATHS_MAX)} patterns.`),
  );

export const portSchema = z
  .number({ error: 'A port is a whole number from 1 to 65535.' })
  .int('A port is a whole number from 1 to 65535.')
  .min(1, 'A port is a whole number from 1 to 65535.')
  .max(65535, 'A port is a whole number from 1 to 65535.');

export const storageGbSchema = z
  .number({ error: 'Storage is a whole number of GB from 1 to 10, or null for none.' })
  .int('Storage is a whole number of GB from 1 to 10, or null for none.')
  .min(1, 'Storage is at least 1 GB (or null for none).')
  .max(10, 'Storage is at most 10 GB.')
  .nullable();

export const healthCheckPathSchema = z
  .string()
  .max(255, 'At most 255 characters.')
  .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/, 'Start with "/" and use URL path characters only.')
  .nullable();

export const createProjectSchema = z.strictObject({
  name: projectNameSchema,
  /** A team's space instead of your own (issue 36): its namespace is then `{team hash}-{name}`. */
  teamId: z.uuid({ error: 'A team id.' }).optional(),
});
export type CreateProjectInput = z.infer<typeof createProjectSchema>;

export const replicasSchema = z
  .number({ error: 'Replicas is a whole number from 1 to 10.' })
  .int('Replicas is a whole number from 1 to 10.')
  .min(1, 'At least 1 replica.')
  .max(10, 'At most 10 replicas.');

export const sizeNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'Not a size name.')
  .nullable();

export const ENV_VALUE_MAX = 32 * 1024;

export const envKeySchema = z
  .string()
  .min(1, 'Key is required.')
  .max(255, 'At most 255 characters.')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Use letters, digits and "_", not starting with a digit.');

export const envValueSchema = z
  .string()
  .max(ENV_VALUE_MAX, `At most ${ENV_VALUE_MAX} characters.`);

export const createEnvVarSchema = z.strictObject({ key: envKeySchema, value: envValueSchema });
export type CreateEnvVarInput = z.infer<typeof createEnvVarSchema>;

export const updateEnvVarSchema = z
  .strictObject({ key: envKeySchema, value: envValueSchema })
  .partial()
  .refine((v) => Object.keys(v).length > 0, {
    error: 'Give a key or a value to change.',
    when: (payload) => payload.issues.length === 0,
  });
export type UpdateEnvVarInput = z.infer<typeof updateEnvVarSchema>;

/** A `.env` file pasted whole (the api parses it with dotenv); keys and values are checked line by line. */
export const ENV_FILE_MAX = 1024 * 1024;

export const importEnvSchema = z.strictObject({
  dotenv: z
    .string()
    .min(1, 'Paste the contents of a .env file.')
    .max(ENV_FILE_MAX, `At most ${String(ENV_FILE_MAX)} characters.`),
});
export type ImportEnvInput = z.infer<typeof importEnvSchema>;

export const uuidSchema = z.uuid();
