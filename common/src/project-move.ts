/** Moving a project between a person's space and a team's (issue 36): a deliberate action, confirmed by the project's name. */
import { z } from 'zod';

export const moveProjectSchema = z.strictObject({
  to: z.union([z.strictObject({ team: z.uuid({ error: 'A team id.' }) }), z.strictObject({ personal: z.literal(true) })], {
    error: 'Either { "team": "<team id>" } or { "personal": true }.',
  }),
  confirm: z.string().max(63).describe('The project\'s name, typed again: the move happens only when it matches.'),
});
export type MoveProjectInput = z.infer<typeof moveProjectSchema>;
