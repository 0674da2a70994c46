/**
 * Roles on one project (issue 36): narrower than a team's, they open that project alone
 * and, for a member of the project's team, override the team role there. Set by the
 * project's owners; the policy (api/src/use-cases/policy.ts) reads them.
 */
import { z } from 'zod';
import { teamRoleSchema } from './teams.js';

const timestamp = z.iso.datetime({ offset: true });

/** A GitHub login, as GitHub allows them: letters, digits and single hyphens, at most 39. */
export const githubLoginSchema = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'A GitHub login: letters, digits and single hyphens, at most 39.');

export const setProjectRoleSchema = z.strictObject({ role: teamRoleSchema });
export type SetProjectRoleInput = z.infer<typeof setProjectRoleSchema>;

export const projectMemberDtoSchema = z.strictObject({
  userId: z.uuid(),
  githubUsername: z.string(),
  role: teamRoleSchema.describe('Their role on this project.'),
  source: z
    .enum(['account', 'team', 'project'])
    .describe('Where the role comes from: the personal space that owns the project, the team\'s role, or a role set on this project (which overrides the team\'s).'),
  teamRole: teamRoleSchema.nullable().describe('Their role on the project\'s team, when they have one.'),
  since: timestamp,
});
export type ProjectMemberDto = z.infer<typeof projectMemberDtoSchema>;
