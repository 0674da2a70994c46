import { Octokit } from '@octokit/rest';
import { TEAM_ROLES, roleAllows } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApp } from './github-app.js';
import { fullNameOf } from './repository-access.js';
import { userTokenFor } from './user-tokens.js';

/*
 * A proven repository binding is proven again (docs/architecture.md#github-app): a member's
 * own GitHub App token showed once that they read the repository (`repository_proven_by`,
 * `_at`: use-cases/repository-binding.ts); the binding lets every member of the service build
 * and read it with the App's installation token, so it holds only while someone who may
 * change the service still shows GitHub they read it. It is asked again
 * - when its prover no longer holds the right to bind (left the team or the project,
 *   demoted below maintainer, blocked, deleted): at once after such a change, by the
 *   leader's pass, and before a build;
 * - when the proof is older than PROOF_MAX_AGE_MS: by the leader's hourly pass and before a build.
 * The prover is asked first, then every other member who may change the service (the same
 * right as "Check access"), each with their own App token: the first who reads it proves it
 * again. When none does, the binding is cleared (the service is then refused with "Check
 * access", as an unbound one) and the clearing is recorded in the service's activity, except:
 * - GitHub did not answer for someone (a 5xx, a timeout, a rate limit): nothing changes and
 *   nobody else is asked, the next pass asks again: an outage never clears a binding;
 * - nobody could be asked (no usable App token: an expired one is refreshed first, user-tokens.ts;
 *   a refresh GitHub refuses, a sign-in older than the App), when the prover still holds the
 *   right or none is recorded (an upgrade's binding): kept for a grace of GRACE_MS after its
 *   last proof, then cleared; a prover who still holds the right but cannot be asked keeps it
 *   so even when others are refused (nothing from GitHub says they lost it).
 * Only GitHub's definite 404 or 403 (one not naming a rate limit) to a member's token says they cannot read it. Bindings
 * shown only by publicness are not asked: publicness is their proof (repository-access.ts).
 */

/** How old a proof may be before a build asks GitHub again (the leader's pass, too). */
export const PROOF_MAX_AGE_MS = 24 * 60 * 60_000;
/** Between the leading controller's passes over the proofs due. */
export const RECHECK_PASS_MS = 60 * 60_000;
/** How long a binding nobody could be asked about is kept after its last proof (above). */
export const GRACE_MS = 7 * 24 * 60 * 60_000;
/** Members asked at most per binding (the prover first), so a large team's re-check stays bounded. */
const MAX_ASKED = 20;
/** Bindings re-checked at most per pass (the oldest proofs first); the next pass takes the rest. */
const PASS_LIMIT = 500;

export interface BindingRecheckDeps {
  db: DataSource;
  encryptor: Encryptor;
  githubApp: GitHubApp | undefined;
  logger?: Logger | undefined;
}

/** The roles that may bind a repository (`configure`, as "Check access" needs). */
const BINDING_ROLES = TEAM_ROLES.filter((role) => roleAllows(role, 'configure'));
const ROLE_LIST = BINDING_ROLES.map((role) => `'${role}'`).join(', ');

/** SQL: the role of the user `u` on the project `p` (the policy's rule, use-cases/policy.ts `roleOn`), or null. */
function roleSql(u: string, p: string): string {
  return `CASE WHEN ${u} = ${p}.user_id THEN 'owner'
               WHEN EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id
                             WHERE t.account_id = ${p}.user_id AND tm.user_id = ${u} AND tm.role = 'owner') THEN 'owner'
               ELSE coalesce((SELECT pm.role FROM project_members pm WHERE pm.project_id = ${p}.id AND pm.user_id = ${u}),
                             (SELECT tm.role FROM team_members tm JOIN teams t ON t.id = tm.team_id
                               WHERE t.account_id = ${p}.user_id AND tm.user_id = ${u}))
          END`;
}

/** SQL over `s` (services), `p` (its project) and `u` (its prover, left joined): the prover still holds the right to bind. */
const PROOF_HELD_SQL = `coalesce(u.id IS NOT NULL AND u.status = 'active' AND u.kind = 'person' AND ${roleSql('u.id', 'p')} IN (${ROLE_LIST}), false)`;

/**
 * SQL: the user whose id is the SQL expression `user` may bind the repository of the service
 * whose id is `service` now (active, a person, a role allowing `configure` on its project):
 * what a write of a proof checks at write time (Check access, a re-proof).
 */
export function mayBindSql(user: string, service: string): string {
  return `EXISTS (SELECT 1 FROM services bs JOIN projects p ON p.id = bs.project_id JOIN users bu ON bu.id = ${user}
                   WHERE bs.id = ${service} AND bu.status = 'active' AND bu.kind = 'person' AND ${roleSql('bu.id', 'p')} IN (${ROLE_LIST}))`;
}

/** SQL: a binding a member proved (not public-only) that is due: no prover holding the right, or a proof older than `$1` seconds. */
const DUE_SQL = `s.github_repository_id IS NOT NULL AND NOT s.github_repository_public_only
  AND (s.repository_proven_at IS NULL OR s.repository_proven_at < now() - make_interval(secs => $1) OR NOT ${PROOF_HELD_SQL})`;

const FROM_SQL = `FROM services s JOIN projects p ON p.id = s.project_id LEFT JOIN users u ON u.id = s.repository_proven_by`;

/** What one member's token showed. */
type Answer = 'reads' | 'public' | 'denied' | 'unasked' | 'unknown';

export type RecheckOutcome =
  /** No App connected, no binding a member proved, or (onlyIfDue) a proof fresh enough: nothing asked. */
  | 'skipped'
  /** Proven again (by the prover or another member). */
  | 'reproven'
  /** The repository is public now and nobody with a role on it was found: kept as a public-only binding. */
  | 'public'
  /** Nobody who may change the service showed they read it: unbound. */
  | 'cleared'
  /** GitHub did not answer, or the prover's proof stands unasked: kept as it is, asked again later. */
  | 'kept';

export interface RecheckResult {
  outcome: RecheckOutcome;
  /** The binding after the re-check (GitHub's repository id), or null when unbound. */
  repositoryId: string | null;
}

interface BindingRow {
  id: string;
  repo_url: string;
  repository_id: string | null;
  public_only: boolean;
  proven_by: string | null;
  proven_at: string | null;
  prover_login: string | null;
  held: boolean;
  due: boolean;
  in_grace: boolean;
}

interface Candidate {
  id: string;
  login: string;
}

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** `GET /repos/{owner}/{repo}` with a member's App token, as one of the answers above for the bound `repositoryId`. */
async function ask(app: GitHubApp, token: string, owner: string, repo: string, repositoryId: string): Promise<Answer> {
  const octokit = new Octokit({ auth: token, baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  try {
    const { data } = await octokit.rest.repos.get({ owner, repo });
    // Another repository of that name now (the bound one deleted, transferred, replaced): not a proof of this one.
    if (String(data.id) !== repositoryId) return 'denied';
    // A public repository answers anyone's token: only a role beyond `pull` shows more than its publicness.
    const role = Object.entries(data.permissions ?? {}).some(([permission, granted]) => permission !== 'pull' && granted);
    return data.private || role ? 'reads' : 'public';
  } catch (error) {
    const status = (error as { status?: number } | undefined)?.status;
    const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } } | undefined)?.response?.headers ?? {};
    // A rate limit (primary: remaining 0; secondary: a retry-after, or only GitHub's message
    // "You have exceeded a secondary rate limit") says nothing of access.
    if (status === 429 || (status === 403 && (String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined || rateLimitMessage(error)))) return 'unknown';
    if (status === 404 || status === 403) return 'denied';
    // 401: the token expired or was revoked: it says nothing of the repository.
    return status === 401 ? 'unasked' : 'unknown';
  }
}

/** Whether GitHub's answer says a rate limit stopped it (its message, or the error's). */
function rateLimitMessage(error: unknown): boolean {
  const failure = error as { message?: unknown; response?: { data?: { message?: unknown } } } | undefined;
  return [failure?.message, failure?.response?.data?.message].some((message) => typeof message === 'string' && /rate limit/i.test(message));
}

/** The members who may bind the service's repository now (active people with a role allowing `configure`), the prover first. */
async function candidatesOf(db: DataSource, serviceId: string, proverId: string | null): Promise<Candidate[]> {
  return db.query<Candidate[]>(
    `WITH p AS (SELECT pr.id, pr.user_id FROM services s JOIN projects pr ON pr.id = s.project_id WHERE s.id = $1),
          people AS (SELECT p.user_id AS id FROM p
                     UNION SELECT tm.user_id FROM p JOIN teams t ON t.account_id = p.user_id JOIN team_members tm ON tm.team_id = t.id
                     UNION SELECT pm.user_id FROM p JOIN project_members pm ON pm.project_id = p.id)
     SELECT u.id, u.github_username AS login
       FROM people JOIN users u ON u.id = people.id CROSS JOIN p
      WHERE u.status = 'active' AND u.kind = 'person' AND ${roleSql('u.id', 'p')} IN (${ROLE_LIST})
      ORDER BY u.id = $2 DESC, u.last_sign_in_at DESC NULLS LAST, u.id
      LIMIT ${String(MAX_ASKED)}`,
    [serviceId, proverId ?? '00000000-0000-0000-0000-000000000000'],
  );
}

async function loadBinding(db: DataSource, serviceId: string): Promise<BindingRow | undefined> {
  const [row] = await db.query<BindingRow[]>(
    `SELECT s.id, s.repo_url, s.github_repository_id::text AS repository_id, s.github_repository_public_only AS public_only,
            s.repository_proven_by AS proven_by, s.repository_proven_at::text AS proven_at, u.github_username AS prover_login,
            ${PROOF_HELD_SQL} AS held, (${DUE_SQL}) AS due, coalesce(s.repository_proven_at > now() - make_interval(secs => $3), false) AS in_grace
       ${FROM_SQL} WHERE s.id = $2`,
    [PROOF_MAX_AGE_MS / 1000, serviceId, GRACE_MS / 1000],
  );
  return row;
}

/** Why the binding is cleared, for the service's activity. */
function clearedSubject(fullName: string, row: BindingRow, proverDenied: boolean, graceOver: boolean): string {
  const prover = row.prover_login ? `@${row.prover_login}` : null;
  const why = graceOver
    ? `nobody's GitHub sign-in could be used to show access to it again for ${String(GRACE_MS / 86_400_000)} days`
    : !prover
      ? 'nobody is recorded as having shown access to it'
      : !row.held
        ? `${prover}, who showed access to it, may no longer change this service`
        : proverDenied
          ? `GitHub says ${prover}, who showed access to it, can no longer read it`
          : `${prover}'s access to it could not be shown again`;
  return `${fullName}: ${why}, and no member who may change the service showed GitHub they can read it. It is not built until one chooses "Check access".`;
}

/**
 * Asks GitHub again whether someone who may change the service reads its bound repository,
 * and proves the binding again, keeps it, or clears it (above). `onlyIfDue`: only when its
 * prover lost the right to bind or its proof is older than PROOF_MAX_AGE_MS (a build's check).
 */
export async function recheckBinding(deps: BindingRecheckDeps, serviceId: string, options: { onlyIfDue?: boolean } = {}): Promise<RecheckResult> {
  // A binding changed under the re-check (Check access, or its prover's row deleted: the proof
  // then has no prover) is read and asked again while still due, a few times at most.
  for (let attempt = 0; ; attempt += 1) {
    const result = await recheckOnce(deps, serviceId, options);
    if (result !== 'changed') return result;
    if (attempt >= 2) return { outcome: 'skipped', repositoryId: (await loadBinding(deps.db, serviceId))?.repository_id ?? null };
    options = { onlyIfDue: true };
  }
}

async function recheckOnce(deps: BindingRecheckDeps, serviceId: string, options: { onlyIfDue?: boolean }): Promise<RecheckResult | 'changed'> {
  const row = await loadBinding(deps.db, serviceId);
  const current = row?.repository_id ?? null;
  const app = deps.githubApp;
  if (!row || current === null || row.public_only || (options.onlyIfDue && !row.due) || !app || !(await app.credentials())) {
    return { outcome: 'skipped', repositoryId: current };
  }
  const name = fullNameOf(row.repo_url);
  if (!name) return { outcome: 'skipped', repositoryId: current };
  const fullName = `${name.owner}/${name.repo}`;
  const answers = new Map<string, Answer>();
  let prover: Answer | undefined;
  let reader: Candidate | undefined;
  for (const member of await candidatesOf(deps.db, serviceId, row.held ? row.proven_by : null)) {
    // Their own App token, refreshed first when it expired (a refresh GitHub did not answer: unknown).
    const token = await userTokenFor(deps, member.id);
    const answer = typeof token === 'object' ? await ask(app, token.token, name.owner, name.repo, current) : token;
    answers.set(member.id, answer);
    if (member.id === row.proven_by) prover = answer;
    if (answer === 'reads') {
      reader = member;
      break;
    }
    // GitHub did not answer: the binding is kept whatever the others say, so nobody else is
    // asked now (a build waits for one timeout at most; the next pass asks again).
    if (answer === 'unknown') break;
  }
  const seen = [...answers.values()];
  // Nobody could be asked (above): the prover who still may bind, or (none recorded) every member.
  const unasked = (row.held && prover === 'unasked') || (row.proven_by === null && !seen.includes('denied') && !seen.includes('public'));
  const outcome: RecheckOutcome = reader
    ? 'reproven'
    : seen.includes('unknown') || (unasked && row.in_grace)
      ? 'kept'
      : seen.includes('public')
        ? 'public'
        : 'cleared';
  const log = deps.logger?.child({ serviceId, repository: fullName });
  if (outcome === 'kept') {
    // Rotates the pass (dueBindings): a binding kept goes after the others next time.
    await deps.db.query(`UPDATE services SET repository_rechecked_at = now() WHERE id = $1`, [serviceId]);
    log?.debug({ answers: seen }, 'repository binding kept unproven: GitHub did not answer, or nobody could be asked');
    return { outcome, repositoryId: current };
  }
  // Only the binding as it was read: a member's "Check access" meanwhile keeps its own proof.
  const unchanged = `id = $1 AND github_repository_id = $2 AND NOT github_repository_public_only AND repo_url = $3
    AND repository_proven_by IS NOT DISTINCT FROM $4 AND repository_proven_at::text IS NOT DISTINCT FROM $5`;
  const was = [row.id, current, row.repo_url, row.proven_by, row.proven_at];
  return deps.db.transaction(async (manager) => {
    const set = {
      reproven: `repository_proven_by = $6, repository_proven_at = now()`,
      public: `github_repository_public_only = true, repository_proven_by = NULL, repository_proven_at = now()`,
      cleared: `github_repository_id = NULL, github_repository_public_only = false, repository_proven_by = NULL, repository_proven_at = NULL`,
    }[outcome];
    // A re-proof records a member who may still bind now (a removal meanwhile: not them).
    const authorised = outcome === 'reproven' ? ` AND ${mayBindSql('$6::uuid', 'services.id')}` : '';
    const [, count] = await manager.query<[unknown[], number]>(
      `UPDATE services SET ${set}, repository_rechecked_at = now() WHERE ${unchanged}${authorised}`,
      outcome === 'reproven' ? [...was, reader?.id] : was,
    );
    if (count !== 1) return 'changed' as const;
    if (outcome === 'cleared') {
      await manager.query(
        `INSERT INTO service_activity (service_id, actor_id, actor_login, action, subject) VALUES ($1, NULL, 'platform', 'repository.unbound', $2)`,
        [serviceId, clearedSubject(fullName, row, prover === 'denied', unasked && !row.in_grace)],
      );
      log?.warn({ proverId: row.proven_by }, 'repository binding cleared: nobody who may change the service shows GitHub they read it');
    }
    if (outcome === 'reproven' && reader && reader.id !== row.proven_by) {
      await manager.query(
        `INSERT INTO service_activity (service_id, actor_id, actor_login, action, subject) VALUES ($1, $2, $3, 'repository.reproven', $4)`,
        [serviceId, reader.id, reader.login.slice(0, 39), `${fullName}: ${row.prover_login ? `@${row.prover_login}'s proof no longer held, ` : ''}shown again with @${reader.login}'s GitHub access`],
      );
    }
    return { outcome, repositoryId: outcome === 'cleared' ? null : current };
  });
}

/** Which due bindings: those one user proved, those of one project, or (neither) every one. */
export interface RecheckScope {
  provenBy?: string;
  projectId?: string;
}

/**
 * The services whose binding is due for a re-check (within `scope`): those whose prover lost the
 * right to bind first, then the ones re-checked longest ago (a binding kept goes last), the
 * oldest proofs first.
 */
export async function dueBindings(db: DataSource, scope: RecheckScope = {}): Promise<string[]> {
  const rows = await db.query<{ id: string }[]>(
    `SELECT s.id ${FROM_SQL} WHERE ${DUE_SQL}
        AND ($2::uuid IS NULL OR s.repository_proven_by = $2) AND ($3::uuid IS NULL OR s.project_id = $3)
      ORDER BY ${PROOF_HELD_SQL}, s.repository_rechecked_at NULLS FIRST, s.repository_proven_at NULLS FIRST, s.id LIMIT ${String(PASS_LIMIT)}`,
    [PROOF_MAX_AGE_MS / 1000, scope.provenBy ?? null, scope.projectId ?? null],
  );
  return rows.map((r) => r.id);
}

/** Re-checks every due binding (within `scope`), one after the other; one that fails stops no other. */
export async function recheckDueBindings(deps: BindingRecheckDeps, scope: RecheckScope = {}): Promise<Record<RecheckOutcome, number>> {
  const counts: Record<RecheckOutcome, number> = { skipped: 0, reproven: 0, public: 0, cleared: 0, kept: 0 };
  if (!deps.githubApp || !(await deps.githubApp.credentials())) return counts;
  for (const serviceId of await dueBindings(deps.db, scope)) {
    try {
      counts[(await recheckBinding(deps, serviceId, { onlyIfDue: true })).outcome] += 1;
    } catch (error) {
      deps.logger?.warn({ err: error, serviceId }, 'could not re-check a repository binding');
    }
  }
  return counts;
}

/** The leading controller's pass: at start (a binding with no prover after an upgrade) and every RECHECK_PASS_MS. */
export function startBindingRecheck(deps: BindingRecheckDeps, intervalMs = RECHECK_PASS_MS): { stop(): void; pass(): Promise<Record<RecheckOutcome, number>> } {
  let running: Promise<Record<RecheckOutcome, number>> | undefined;
  const pass = () => {
    running ??= recheckDueBindings(deps).finally(() => {
      running = undefined;
    });
    return running;
  };
  const round = () => {
    pass().then(
      (counts) => {
        if (counts.cleared + counts.reproven + counts.public + counts.kept > 0) deps.logger?.info(counts, 'repository bindings re-checked');
      },
      (error: unknown) => deps.logger?.warn({ err: error }, 'could not re-check the repository bindings'),
    );
  };
  round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), pass };
}
