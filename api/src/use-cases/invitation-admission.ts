/**
 * The admin's override of the sign-in allowlist (issue 36): an invitation by GitHub login
 * that a platform admin marked `admitOutsideAllowlist` lets that login sign in while it is
 * unused and unexpired, and while the admin who made it is still an active admin. Without
 * the mark an invitation lets no one onto the platform: the allowlist decides first.
 */
import type { EntityManager } from 'typeorm';

/** Whether an open invitation an active admin marked admits `login` (case-insensitive). */
export async function admittedByInvitation(manager: EntityManager, login: string): Promise<boolean> {
  const rows = await manager.query<unknown[]>(
    `SELECT 1 FROM team_invitations i JOIN users a ON a.id = i.created_by
      WHERE i.admits_outside_allowlist AND i.used_at IS NULL AND i.expires_at > now()
        AND lower(i.github_login) = lower($1) AND a.role = 'admin' AND a.status = 'active'
      LIMIT 1`,
    [login],
  );
  return rows.length > 0;
}
