import { z } from 'zod';
import { WatchPaths } from '@dangus/common';
import type { CommitComparison } from '../github/github-repos.js';
import { decidePayload, type WebhookDecision, type WebhookTarget } from './webhook-rules.js';

/*
 * Which services a push builds (issue 37): a pure function of the services of a repository
 * and the push payload, with GitHub's compare API handed in for when the payload cannot
 * tell. The per-service webhook calls it with its one service; the GitHub App's webhook
 * calls it with every service of the repository, and one delivery fans out to each.
 */

const ZERO_SHA = '0'.repeat(40);
/** GitHub lists at most 20 commits in a push payload: 20 may mean more. */
export const PAYLOAD_COMMITS_MAX = 20;
/** At most this many patterns are named in a reason. */
const PATTERNS_NAMED = 5;

/** The fields of a push payload that tell which files it changed (GitHub sends them all; each is optional here). */
const changesSchema = z.object({
  before: z.string().optional(),
  after: z.string(),
  created: z.boolean().optional(),
  forced: z.boolean().optional(),
  commits: z
    .array(
      z.object({
        added: z.array(z.string()).optional(),
        removed: z.array(z.string()).optional(),
        modified: z.array(z.string()).optional(),
      }),
    )
    .nullable()
    .optional(),
  repository: z.object({ default_branch: z.string().optional() }),
});
type PushChanges = z.infer<typeof changesSchema>;

/** A service a push may build: where it builds from, and what it watches (none: every push). */
export interface PushTarget extends WebhookTarget {
  id: string;
  watchPaths: readonly string[];
}

/**
 * GitHub's compare API for the push's repository (`base...head`); throws when GitHub
 * cannot answer. Null when there is no way to ask (no GitHub token).
 */
export type CompareFiles = ((base: string, head: string) => Promise<CommitComparison>) | null;

/** The files a push changed and where that came from, or why they are not known. */
export type ChangedFiles =
  | { known: true; files: string[]; source: string; partial: boolean }
  | { known: false; why: string };

export interface FanOutDecision {
  target: PushTarget;
  decision: WebhookDecision;
}

/**
 * What one push means for each service: for a service of another repository or branch,
 * the reason it is ignored; for one on the pushed branch, a build unless it has watch
 * paths and no changed file matches them (then `skipped`, with the reason). The files are
 * read from the payload, or from the compare API (at most once or twice per push, and only
 * when some service has watch paths) when the payload cannot tell. In doubt, it builds.
 */
export async function fanOutPush(targets: readonly PushTarget[], payload: unknown, compare: CompareFiles): Promise<FanOutDecision[]> {
  let changes: Promise<ChangedFiles> | undefined;
  const decisions: FanOutDecision[] = [];
  for (const target of targets) {
    const routed = decidePayload(target, 'push', payload);
    if (routed.outcome !== 'deployed') {
      decisions.push({ target, decision: routed });
      continue;
    }
    const watch = new WatchPaths(target.watchPaths);
    if (watch.empty) {
      decisions.push({ target, decision: routed });
      continue;
    }
    changes ??= changedFiles(payload, target.branch, compare);
    decisions.push({ target, decision: filtered(routed, watch, target.watchPaths, await changes) });
  }
  return decisions;
}

/** A build, or a skip when the known changes miss every watch path. */
function filtered(
  routed: Extract<WebhookDecision, { outcome: 'deployed' }>,
  watch: WatchPaths,
  patterns: readonly string[],
  changes: ChangedFiles,
): WebhookDecision {
  if (!changes.known) return { ...routed, reason: `${routed.reason} (watch paths not checked: ${changes.why})` };
  const match = watch.firstMatch(changes.files);
  if (match) return { ...routed, reason: `${routed.reason}: ${match.file} matches \`${match.pattern}\`` };
  if (changes.partial) {
    return { ...routed, reason: `${routed.reason} (none of the ${String(changes.files.length)} files GitHub listed matches the watch paths, but it lists at most that many)` };
  }
  const named = patterns.filter((pattern) => !pattern.startsWith('#'));
  const list = named.slice(0, PATTERNS_NAMED).map((pattern) => `\`${pattern}\``).join(', ');
  const more = named.length > PATTERNS_NAMED ? ` and ${String(named.length - PATTERNS_NAMED)} more` : '';
  const count = changes.files.length === 1 ? '1 file changed' : `${String(changes.files.length)} files changed`;
  const reason = `no changed file matches ${list}${more} (${count}, from ${changes.source})`;
  const push = { pushedAt: routed.pushedAt, commitSha: routed.build.commitSha };
  return { outcome: 'skipped', reason, statusCode: 200, body: { outcome: 'skipped', reason }, push };
}

/**
 * The files a push changed: from the payload's commits when it lists them all, else from
 * the compare API (a new branch against the default branch; a force push both ways, so
 * files the rewrite dropped count too), else unknown with the reason.
 */
export async function changedFiles(payload: unknown, branch: string, compare: CompareFiles): Promise<ChangedFiles> {
  const parsed = changesSchema.safeParse(payload);
  if (!parsed.success) return { known: false, why: 'the payload does not list the changed files' };
  const push = parsed.data;
  const why = unclear(push);
  if (why === null) return { known: true, files: payloadFiles(push), source: 'the push payload', partial: false };
  if (!compare) return { known: false, why: `${why}, and GitHub's compare API cannot be asked about this repository` };
  const created = push.created === true || push.before === undefined || push.before === ZERO_SHA;
  const base = created ? push.repository.default_branch : push.before;
  if (!base || (created && base === branch)) return { known: false, why: `${why} with no other branch to compare it to` };
  try {
    const forward = await compare(base, push.after);
    const files = new Set(forward.files);
    let partial = forward.truncated;
    if (push.forced === true && (forward.status === 'behind' || forward.status === 'diverged')) {
      // The commits the force push dropped changed files too: what they touched differs now.
      const dropped = await compare(push.after, base);
      for (const file of dropped.files) files.add(file);
      partial ||= dropped.truncated;
    }
    return { known: true, files: [...files], source: `GitHub's compare API (${why})`, partial };
  } catch (error) {
    return { known: false, why: `${why}, and GitHub's compare API failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Why the payload's commits do not tell the whole change, or null when they do. */
function unclear(push: PushChanges): string | null {
  if (push.created === true || push.before === undefined || push.before === ZERO_SHA) return 'a new branch';
  if (push.forced === true) return 'a force push';
  const commits = push.commits ?? [];
  if (commits.length >= PAYLOAD_COMMITS_MAX) return `${String(PAYLOAD_COMMITS_MAX)} or more commits`;
  if (commits.length === 0) return 'a push that lists no commits';
  return null;
}

function payloadFiles(push: PushChanges): string[] {
  const files = new Set<string>();
  for (const commit of push.commits ?? []) {
    for (const file of [...(commit.added ?? []), ...(commit.removed ?? []), ...(commit.modified ?? [])]) files.add(file);
  }
  return [...files];
}
