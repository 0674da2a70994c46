import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BranchMove } from '@dangus/gitops-writer';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { CHANNELS } from '../coordination/pg-listener.js';

/** The branch the state repo commits to (the writer's default). */
export const STATE_BRANCH = 'main';
const REF = `refs/heads/${STATE_BRANCH}`;
/** The parent of the first stored commit: the root of a history, or the seed of an older one. */
const NO_PARENT = '';
/** Packs read per query when a copy catches up. */
const BATCH = 50;

/** Another controller moved the branch: this one is no longer the leader and must stop writing. */
export class DeposedError extends Error {
  constructor(commit: string, parent: string | null) {
    super(`the state repo already has a commit after ${parent ?? 'its root'}: another controller is writing it (refused ${commit})`);
    this.name = 'DeposedError';
  }
}

/**
 * The state repo's durable copy, in PostgreSQL (docs/architecture.md#process-roles). The
 * controller stores every commit as the pack of the objects it adds (`git
 * pack-objects` of `commit ^parent`) before its branch moves; the parent is unique,
 * so storing is a compare-and-swap of the branch and a deposed leader cannot fork
 * the history. Any copy of the repository (the next leader's, an api replica's
 * read-only mirror) catches up by unpacking the packs after its head, so every
 * copy has the same commits with the same ids.
 */
export class DurableState {
  constructor(
    private readonly db: DataSource,
    readonly gitdir: string,
    private readonly logger: Logger,
  ) {}

  /** The head of the durable copy, `null` before the first commit. */
  async head(): Promise<string | null> {
    const rows: { commit: string }[] = await this.db.query(`SELECT commit FROM state_commits ORDER BY seq DESC LIMIT 1`);
    return rows[0]?.commit ?? null;
  }

  /** The `beforeBranchMoves` of the writer: stores the commit, or refuses it when the branch moved elsewhere. */
  readonly persist = async (move: BranchMove): Promise<void> => {
    const pack = await git(this.gitdir, ['pack-objects', '--stdout', '--revs', '-q'], `${move.commit}\n${move.parent ? `^${move.parent}\n` : ''}`);
    try {
      // The notification goes out when the row commits: api replicas' mirrors catch up.
      await this.db.query(
        `WITH stored AS (INSERT INTO state_commits (commit, parent, pack) VALUES ($1, $2, $3) RETURNING commit)
         SELECT pg_notify('${CHANNELS.state}', commit) FROM stored`,
        [move.commit, move.parent ?? NO_PARENT, pack],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new DeposedError(move.commit, move.parent);
      throw error;
    }
  };

  /**
   * Brings the local repository to the durable head: unpacks what it lacks and moves
   * the branch. A local repository whose head the database does not know (a fork,
   * or another platform's) is moved aside and rebuilt. With `seed`, a local history
   * the database has none of yet (the first start after an upgrade) is stored as
   * the first pack instead. Returns the head.
   */
  async sync(options: { seed: boolean }): Promise<string | null> {
    // Once: a mirror syncs at every commit, and a spawn per sync is not needed.
    if (!existsSync(join(this.gitdir, 'HEAD'))) await git(null, ['init', '--bare', '--quiet', `--initial-branch=${STATE_BRANCH}`, this.gitdir]);
    let local = await this.localHead();
    let after = 0;
    if (local !== null) {
      const known: { seq: string }[] = await this.db.query(`SELECT seq FROM state_commits WHERE commit = $1`, [local]);
      if (known[0]) {
        after = Number(known[0].seq);
      } else if (options.seed && (await this.head()) === null) {
        const pack = await git(this.gitdir, ['pack-objects', '--stdout', '--revs', '-q'], `${local}\n`);
        await this.db.query(`INSERT INTO state_commits (commit, parent, pack) VALUES ($1, $2, $3)`, [local, NO_PARENT, pack]);
        this.logger.info({ head: local, bytes: pack.length }, 'stored the existing state repo history in the database');
        return local;
      } else {
        const aside = `${this.gitdir}.diverged-${Date.now()}`;
        this.logger.warn({ head: local, aside }, 'the local state repo has a head the database does not know: moved aside and rebuilt');
        await rename(this.gitdir, aside);
        await git(null, ['init', '--bare', '--quiet', `--initial-branch=${STATE_BRANCH}`, this.gitdir]);
        local = null;
      }
    }
    for (;;) {
      const rows: { seq: string; commit: string; pack: Buffer }[] = await this.db.query(
        `SELECT seq, commit, pack FROM state_commits WHERE seq > $1 ORDER BY seq LIMIT ${BATCH}`,
        [after],
      );
      for (const row of rows) await git(this.gitdir, ['unpack-objects', '-q'], row.pack);
      const last = rows.at(-1);
      if (last) {
        // The branch moves once per batch, from where it was (compare-and-swap), after all its objects are in.
        await git(this.gitdir, ['update-ref', REF, last.commit, ...(local ? [local] : [])]);
        local = last.commit;
        after = Number(last.seq);
      }
      if (rows.length < BATCH) return local;
    }
  }

  private async localHead(): Promise<string | null> {
    if (!existsSync(this.gitdir)) return null;
    try {
      return (await git(this.gitdir, ['rev-parse', '--verify', '--quiet', `${REF}^{commit}`])).toString().trim() || null;
    } catch {
      return null;
    }
  }
}

/** Runs git on `gitdir` (none: no repository) with `input` on stdin; resolves with stdout. */
function git(gitdir: string | null, args: string[], input?: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', gitdir ? ['--git-dir', gitdir, ...args] : args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args[0]} failed (${code}): ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
