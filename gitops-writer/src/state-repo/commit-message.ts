/**
 * Commit messages and identities of the state repo (docs/architecture.md#the-state-repo):
 * subject `verb(namespace/service): summary`, trailers `Dangus-Actor:`,
 * `Dangus-Deployment:`, `Dangus-Source-Commit:`. Pure.
 */
import { StateRepoError } from '../errors.js';

/** A git identity. */
export interface Identity {
  name: string;
  email: string;
}

/** The acting GitHub user: the commit's author. */
export interface Actor extends Identity {
  /** GitHub login, recorded in the `Dangus-Actor:` trailer. */
  login: string;
}

/** What a commit is for: one intent of one user (or of the platform, for a reconcile). */
export interface CommitMeta {
  /** Lowercase verb: `create`, `update`, `delete`, `deploy`, `build`, `env`, `reconcile`, ... */
  verb: string;
  /** One line; newlines are folded into spaces. */
  summary: string;
  /** The service the intent is about, when it is about one. */
  service?: string | null;
  actor: Actor;
  /** Optional body: why, in words. */
  body?: string | null;
  /** The deployment row the commit belongs to (`Dangus-Deployment:`). */
  deploymentId?: string | null;
  /** The tenant's source commit being built or deployed (`Dangus-Source-Commit:`). */
  sourceCommit?: string | null;
}

const SUMMARY_MAX = 200;

/** One line, without control characters: a value cannot forge another header or trailer. */
export function oneLine(value: string): string {
  const printable = Array.from(value, (c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? ' ' : c)).join('');
  return printable.replace(/\s+/g, ' ').trim();
}

/**
 * An identity git can store: no `<`, `>` or control characters (they would break
 * the commit header), never empty.
 */
export function safeIdentity(identity: Identity, fallbackName: string): Identity {
  const clean = (value: string): string => oneLine(value.replace(/[<>]/g, ''));
  const name = clean(identity.name);
  return { name: name === '' ? clean(fallbackName) || 'unknown' : name, email: clean(identity.email) };
}

/**
 * The message of a commit about `scope` (`namespace`, `namespace/service` or `*`).
 *
 * @throws {StateRepoError} when the verb is not a lowercase word.
 */
export function formatCommitMessage(scope: string, meta: CommitMeta): string {
  if (!/^[a-z][a-z-]{0,30}$/.test(meta.verb)) throw new StateRepoError(`Not a commit verb: ${JSON.stringify(meta.verb)}`);
  let summary = oneLine(meta.summary);
  if (summary.length > SUMMARY_MAX) summary = `${summary.slice(0, SUMMARY_MAX - 1)}…`;
  const trailers = [
    `Dangus-Actor: ${oneLine(meta.actor.login) || 'unknown'}`,
    ...(meta.deploymentId ? [`Dangus-Deployment: ${oneLine(meta.deploymentId)}`] : []),
    ...(meta.sourceCommit ? [`Dangus-Source-Commit: ${oneLine(meta.sourceCommit)}`] : []),
  ];
  const body = meta.body ? `${meta.body.replace(/\r\n?/g, '\n').trim()}\n\n` : '';
  return `${meta.verb}(${scope}): ${summary}\n\n${body}${trailers.join('\n')}\n`;
}
