/**
 * Teams (issue 36): roles, what each may do, and the shapes of the teams API. The api's
 * policy (api/src/use-cases/policy.ts) and the UI read the same table, so a button the UI
 * shows is one the api allows.
 */
import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

/** Roles from the most to the least: each may do what the ones after it may. */
export const TEAM_ROLES = ['owner', 'maintainer', 'developer', 'viewer'] as const;
export const teamRoleSchema = z.enum(TEAM_ROLES, { error: 'A role is owner, maintainer, developer or viewer.' });
export type TeamRole = z.infer<typeof teamRoleSchema>;

/**
 * What a route does to a project, and the least role it needs:
 * - `read`: see the project, its services, deployments, history, env keys (never values).
 * - `logs`: read build and runtime logs and Events.
 * - `deploy`: deploy and restart.
 * - `configure`: create, change and delete services; env vars; rollback; redeliveries.
 * - `reveal`: read an env value.
 * - `own`: delete or move the project, its members.
 */
export const PROJECT_ACTIONS = {
  read: 'viewer',
  logs: 'developer',
  deploy: 'developer',
  configure: 'maintainer',
  reveal: 'maintainer',
  own: 'owner',
} as const satisfies Record<string, TeamRole>;
export type ProjectAction = keyof typeof PROJECT_ACTIONS;

/** Whether `role` may do `action` (the least role of PROJECT_ACTIONS or a higher one). */
export function roleAllows(role: TeamRole, action: ProjectAction): boolean {
  return TEAM_ROLES.indexOf(role) <= TEAM_ROLES.indexOf(PROJECT_ACTIONS[action]);
}

/** A team's slug: a DNS-label-like name, for its URLs. */
export const teamSlugSchema = z
  .string()
  .min(2, 'At least 2 characters.')
  .max(40, 'At most 40 characters.')
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'Lowercase letters and digits, with single hyphens between them, starting with a letter.');

export const createTeamSchema = z.strictObject({
  name: z.string().trim().min(1, 'Name is required.').max(100, 'At most 100 characters.'),
  slug: teamSlugSchema,
});
export type CreateTeamInput = z.infer<typeof createTeamSchema>;

export const teamDtoSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  hash: z.string().describe('The team\'s own hash: the first part of its projects\' namespaces and hosts.'),
  role: teamRoleSchema.describe('Your role on the team.'),
  memberCount: z.number().int(),
  createdAt: timestamp,
});
export type TeamDto = z.infer<typeof teamDtoSchema>;

export const teamMemberDtoSchema = z.strictObject({
  userId: z.uuid(),
  githubUsername: z.string(),
  role: teamRoleSchema,
  since: timestamp,
});
export type TeamMemberDto = z.infer<typeof teamMemberDtoSchema>;

export const changeRoleSchema = z.strictObject({ role: teamRoleSchema });

/** By GitHub login (resolved to the account's numeric id when accepted) or, without one, a link anyone signed in may use once. */
export const createInvitationSchema = z.strictObject({
  role: teamRoleSchema,
  githubLogin: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'A GitHub login: letters, digits and single hyphens, at most 39.')
    .optional(),
  expiresInHours: z.number().int().min(1, 'At least 1 hour.').max(24 * 30, 'At most 30 days.').default(72),
  admitOutsideAllowlist: z
    .boolean()
    .default(false)
    .describe('Platform admins only, with a GitHub login: the login may sign in while the invitation is open, though the sign-in allowlist does not name it.'),
});
export type CreateInvitationInput = z.input<typeof createInvitationSchema>;

export const invitationDtoSchema = z.strictObject({
  id: z.uuid(),
  role: teamRoleSchema,
  githubLogin: z.string().nullable(),
  expiresAt: timestamp,
  admitOutsideAllowlist: z.boolean(),
  token: z.string().optional().describe('Only in the answer that creates it: the link\'s secret, stored hashed.'),
});
export type InvitationDto = z.infer<typeof invitationDtoSchema>;

export const acceptInvitationSchema = z.strictObject({ token: z.string().min(20).max(200) });

export const activityEntryDtoSchema = z.strictObject({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  projectId: z.uuid().nullable(),
  ip: z.string().nullable().describe('Where the request came from: for the team\'s owners and platform admins only (null to others).'),
  userAgent: z.string().nullable().describe('The request\'s user agent: for the team\'s owners and platform admins only (null to others).'),
  commitSha: z.string().nullable(),
  createdAt: timestamp,
});
export type ActivityEntryDto = z.infer<typeof activityEntryDtoSchema>;
