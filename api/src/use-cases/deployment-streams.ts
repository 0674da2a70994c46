import type { DeploymentStatus } from '@dangus/common';
import type { DeploymentEvent, LogEvent } from '../events/event-bus.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { getDeployment } from './deployments.js';

export type StreamMessage =
  | { event: 'log'; id: string; data: string }
  | { event: 'end'; data: string }
  | { event: 'deployment'; data: string; id?: string };

/** How often a log stream re-reads its row, in case it missed the end (another api process). */
const RECHECK_MS = 5_000;

function logIsComplete(status: DeploymentStatus): boolean {
  return status !== 'pending' && status !== 'building';
}

/**
 * Sends a deployment's build log from `from` (a character offset, the
 * `Last-Event-ID` of a resumed stream): what is stored first, then each piece
 * as the pipeline stores it, each message's id being the offset after it; ends
 * with `end` once the build is over. Resolves when the log ended or `signal`
 * aborted. Another user's deployment is a NotFoundError, before anything is sent.
 */
export async function followBuildLog(
  ctx: UseCaseContext,
  user: CurrentUser,
  deploymentId: string,
  from: number,
  send: (message: StreamMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  await getDeployment(ctx, user, deploymentId, false);
  let sent = 0;
  let buffered: LogEvent[] | null = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const deliver = (event: LogEvent) => {
    // A piece past what was sent (one missed, or announced without its text): the row has it all.
    if (event.offset > sent) {
      void readStored().catch(() => undefined);
      return;
    }
    const end = event.offset + event.text.length;
    if (end <= sent) return;
    send({ event: 'log', id: String(end), data: event.text.slice(Math.max(0, sent - event.offset)) });
    sent = end;
  };
  const readStored = async (): Promise<DeploymentStatus | null> => {
    const rows: { log: string; status: DeploymentStatus }[] = await ctx.db.query(
      `SELECT coalesce(build_logs, '') AS log, status FROM deployments WHERE id = $1`,
      [deploymentId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.log.length > sent) deliver({ deploymentId, offset: 0, text: row.log });
    return row.status;
  };
  let ended = false;
  // The end can be seen twice (the pipeline's event and the periodic re-read): sent once.
  const end = () => {
    if (ended) return;
    ended = true;
    send({ event: 'end', data: '' });
    finish();
  };

  // Subscribe first, then read: nothing stored in between is missed (and nothing sent twice).
  const unsubscribe = ctx.events.onLog(
    deploymentId,
    (event) => (buffered ? buffered.push(event) : deliver(event)),
    () => void readStored().then(end, end),
  );
  const recheck = setInterval(() => {
    void readStored().then((status) => {
      if (status === null || logIsComplete(status)) end();
    }, end);
  }, RECHECK_MS);
  recheck.unref();
  signal.addEventListener('abort', finish, { once: true });
  try {
    const rows: { log: string; status: DeploymentStatus }[] = await ctx.db.query(
      `SELECT coalesce(build_logs, '') AS log, status FROM deployments WHERE id = $1`,
      [deploymentId],
    );
    const row = rows[0];
    // An id past the end (or not ours) restarts from what is stored.
    sent = Math.min(Math.max(0, from), row?.log.length ?? 0);
    if (row) deliver({ deploymentId, offset: 0, text: row.log });
    for (const event of buffered) deliver(event);
    buffered = null;
    if (!row || logIsComplete(row.status)) end();
    await done;
  } finally {
    clearInterval(recheck);
    unsubscribe();
  }
}

/**
 * Sends every change of the user's deployments, and of their teams' (issue 36), until
 * `signal` aborts. With `from` (a resumed stream's `Last-Event-ID`) and stored events,
 * the ones after it come first: a browser that reconnects to another replica misses none
 * and gets none twice. Event ids are one sequence, kept per owner account. `accounts`: the
 * owner accounts to follow (the user's own and their teams'), read once at the start.
 */
export async function followDeploymentEvents(
  ctx: UseCaseContext,
  user: CurrentUser,
  from: string | undefined,
  send: (message: StreamMessage) => void,
  signal: AbortSignal,
  accounts: string[] = [user.id],
): Promise<void> {
  const last = new Map(accounts.map((account) => [account, from === undefined ? -1n : BigInt(from)]));
  let buffered: DeploymentEvent[] | null = [];
  const deliver = (event: DeploymentEvent) => {
    if (event.id !== undefined) {
      const id = BigInt(event.id);
      if (id <= (last.get(event.userId) ?? -1n)) return;
      last.set(event.userId, id);
    }
    send({ event: 'deployment', data: JSON.stringify(event.deployment), ...(event.id === undefined ? {} : { id: event.id }) });
  };
  // Subscribe first, then read what was missed: nothing in between is lost.
  const unsubscribes = accounts.map((account) => ctx.events.onDeployment(account, (event) => (buffered ? buffered.push(event) : deliver(event))));
  try {
    if (from !== undefined) for (const account of accounts) for (const event of await ctx.events.deploymentsAfter(account, from)) deliver(event);
    for (const event of buffered) deliver(event);
    buffered = null;
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe();
  }
}

/** The owner accounts whose deployment events a user follows: their own, and each of their teams'. */
export async function followedAccounts(ctx: UseCaseContext, user: CurrentUser): Promise<string[]> {
  const rows = await ctx.db.query<{ account_id: string }[]>(
    `SELECT t.account_id FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE tm.user_id = $1 ORDER BY t.account_id`,
    [user.id],
  );
  return [user.id, ...rows.map((row) => row.account_id)];
}
