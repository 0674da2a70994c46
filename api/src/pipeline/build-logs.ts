import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ApiException, CoreV1Api, Log, type KubeConfig, type LogOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { EventBus } from '../events/event-bus.js';
import type { Redactor } from './redact.js';

/**
 * Where a build's log is kept, by key: a deployment's row (its log streams to the browsers
 * too), or a preview's build ({@link previewLogStore}).
 */
export interface LogStore {
  /** What is stored of the log so far ('' when nothing). */
  stored(key: string): Promise<string>;
  /** Appends `text`, which starts at character `offset` of the log. */
  append(key: string, offset: number, text: string): Promise<void>;
  /** The log is whole. */
  ended(key: string): Promise<void>;
}

/** Deployments' logs: `deployments.build_logs`, each piece and the end fanned out to the SSE streams. */
export function deploymentLogStore(db: DataSource, events: EventBus): LogStore {
  return {
    async stored(id) {
      const rows: { log: string }[] = await db.query(`SELECT coalesce(build_logs, '') AS log FROM deployments WHERE id = $1`, [id]);
      return rows[0]?.log ?? '';
    },
    async append(id, offset, text) {
      await db.query(`UPDATE deployments SET build_logs = coalesce(build_logs, '') || $2 WHERE id = $1`, [id, text]);
      events.logAppended({ deploymentId: id, offset, text });
    },
    ended(id) {
      events.logEnded({ deploymentId: id });
      return Promise.resolve();
    },
  };
}

/**
 * Previews' logs: `preview_build_logs`, keyed `{previewId}:{headSha}`, the build of that head
 * only: a piece of a superseded build's log never lands in the row a newer build started.
 */
export function previewLogStore(db: DataSource): LogStore {
  const parse = (key: string) => {
    const [id, sha] = key.split(':');
    return [id, sha] as const;
  };
  return {
    async stored(key) {
      const rows: { log: string }[] = await db.query(`SELECT log FROM preview_build_logs WHERE preview_id = $1 AND head_sha = $2`, parse(key));
      return rows[0]?.log ?? '';
    },
    async append(key, _offset, text) {
      await db.query(`UPDATE preview_build_logs SET log = log || $3 WHERE preview_id = $1 AND head_sha = $2`, [...parse(key), text]);
    },
    async ended(key) {
      await db.query(`UPDATE preview_build_logs SET complete = true WHERE preview_id = $1 AND head_sha = $2`, parse(key));
    },
  };
}

/** Where build logs are read from: the build pod's container, through the apiserver. */
export interface LogSource {
  /** Streams the log from its start until the container ends (or `signal` aborts). */
  follow(target: LogTarget, sink: Writable, signal: AbortSignal): Promise<void>;
  /** The log as it is now, at most its first `limitBytes`; `null` when the pod is gone. */
  read(target: LogTarget, limitBytes: number): Promise<string | null>;
}

export interface LogTarget {
  /** The log's key in its store: a deployment's id, or a preview build's. */
  key: string;
  namespace: string;
  pod: string;
  container: string;
}

/**
 * Pipes one container's log into `sink` until the stream ends or `signal` aborts. client-node 2
 * pipes the response into the sink but leaves the source's errors unheard: an abort would then
 * be an uncaught exception. The sink learns its source from 'pipe'; a source error ends the
 * follow like an abort.
 */
export async function followPodLog(
  log: Log,
  target: Pick<LogTarget, 'namespace' | 'pod' | 'container'>,
  sink: Writable,
  signal: AbortSignal,
  options: LogOptions,
): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    sink.once('finish', resolve);
    sink.once('close', resolve);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  sink.once('pipe', (source: NodeJS.ReadableStream) => {
    source.once('error', () => sink.end());
  });
  const controller = await log.log(target.namespace, target.pod, target.container, sink, options);
  // The stream may have ended while the follow was opening.
  if (isAborted(signal)) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
  await ended;
}

/** Read through a call, so that a check after an await is not narrowed away. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

export class KubernetesLogSource implements LogSource {
  private readonly log: Log;
  private readonly core: CoreV1Api;

  constructor(kube: KubeConfig) {
    this.log = new Log(kube);
    this.core = kube.makeApiClient(CoreV1Api);
  }

  async follow(target: LogTarget, sink: Writable, signal: AbortSignal): Promise<void> {
    await followPodLog(this.log, target, sink, signal, { follow: true });
  }

  async read(target: LogTarget, limitBytes: number): Promise<string | null> {
    try {
      return await this.core.readNamespacedPodLog({ namespace: target.namespace, name: target.pod, container: target.container, limitBytes });
    } catch (error) {
      if (error instanceof ApiException && (error.code === 404 || error.code === 400)) return null;
      throw error;
    }
  }
}

interface Capture {
  /** Characters (UTF-16 units) of the log accepted so far: stored or queued. */
  accepted: number;
  /** Characters stored in the row. */
  stored: number;
  queued: string;
  writes: Promise<void>;
  flushTimer: NodeJS.Timeout | undefined;
  truncated: boolean;
  follow: AbortController | undefined;
}

/** Stored logs stop growing here (with a note saying so). */
export const DEFAULT_MAX_LOG_CHARS = 2_000_000;
const FLUSH_MS = 100;
const FLUSH_CHARS = 64 * 1024;

/**
 * Copies build logs into their store as they stream (the pod will be
 * garbage-collected): a deployment's row, whose pieces fan out to the SSE
 * streams, or a preview build's.
 *
 * A log is read in passes, each from the start of the pod's log: the live
 * follow, again after a dropped stream, and once more when the build ended (the
 * stream may have missed the end). Lines are redacted one by one, so every pass
 * produces the same text, and a pass only appends what lies beyond what was
 * already accepted: nothing is lost or written twice, across api restarts too.
 */
export class BuildLogs {
  private readonly captures = new Map<string, Capture>();
  private readonly maxChars: number;

  constructor(
    private readonly deps: { store: LogStore; source: LogSource; logger: Logger; maxChars?: number },
  ) {
    this.maxChars = deps.maxChars ?? DEFAULT_MAX_LOG_CHARS;
  }

  isFollowing(key: string): boolean {
    return this.captures.get(key)?.follow !== undefined;
  }

  /** Follows the build pod's log unless a follow is running; returns at once. */
  async follow(target: LogTarget, redactor: Redactor): Promise<void> {
    const capture = await this.capture(target.key);
    if (capture.follow) return;
    const abort = new AbortController();
    capture.follow = abort;
    const pass = this.pass(capture, target.key, redactor);
    const sink = new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _encoding, callback) => {
        pass.feed(typeof chunk === 'string' ? chunk : decoder(pass).write(chunk));
        callback();
      },
    });
    this.deps.source
      .follow(target, sink, abort.signal)
      .catch((error: unknown) => this.deps.logger.warn({ logKey: target.key, err: error }, 'build log stream failed'))
      .finally(() => {
        if (capture.follow === abort) capture.follow = undefined;
      });
  }

  /**
   * The build ended: stops the follow, reads the whole log once more, stores
   * what is missing, and tells the streams the log is complete.
   */
  async complete(target: LogTarget | null, redactor: Redactor, key: string): Promise<void> {
    // Nothing to read and nothing captured: only the end is told.
    if (!target && !this.captures.has(key)) {
      await this.ended(key);
      return;
    }
    const capture = await this.capture(key);
    capture.follow?.abort();
    capture.follow = undefined;
    if (target) {
      try {
        // Up to 4 bytes a character: the most that can still be kept, and no more in memory.
        const text = await this.deps.source.read(target, this.maxChars * 4);
        if (text !== null) {
          const pass = this.pass(capture, key, redactor);
          pass.feed(text);
          pass.end();
        }
      } catch (error) {
        this.deps.logger.warn({ logKey: key, err: error }, 'could not read the final build log');
      }
    }
    this.flush(capture, key);
    await capture.writes;
    this.captures.delete(key);
    await this.ended(key);
  }

  private async ended(key: string): Promise<void> {
    await this.deps.store.ended(key).catch((error: unknown) => this.deps.logger.warn({ logKey: key, err: error }, 'could not mark a build log whole'));
  }

  /** Stops every follow (shutdown); what was stored stays stored. */
  async stop(): Promise<void> {
    for (const [id, capture] of this.captures) {
      capture.follow?.abort();
      this.flush(capture, id);
      await capture.writes;
    }
    this.captures.clear();
  }

  private async capture(key: string): Promise<Capture> {
    const existing = this.captures.get(key);
    if (existing) return existing;
    const stored = (await this.deps.store.stored(key)).length;
    const again = this.captures.get(key);
    if (again) return again;
    const capture: Capture = {
      accepted: stored,
      stored,
      queued: '',
      writes: Promise.resolve(),
      flushTimer: undefined,
      truncated: stored >= this.maxChars,
      follow: undefined,
    };
    this.captures.set(key, capture);
    return capture;
  }

  private pass(capture: Capture, key: string, redactor: Redactor): Pass {
    return new Pass(redactor, (text) => this.accept(capture, key, text));
  }

  /** One piece of redacted log at `start` of this pass's output: keeps what is new. False once the log is truncated. */
  private accept(capture: Capture, key: string, piece: { start: number; text: string }): boolean {
    if (capture.truncated) return false;
    const end = piece.start + piece.text.length;
    if (end <= capture.accepted) return true;
    let fresh = piece.text.slice(Math.max(0, capture.accepted - piece.start));
    if (capture.accepted + fresh.length > this.maxChars) {
      fresh = `${fresh.slice(0, Math.max(0, this.maxChars - capture.accepted))}\n[log truncated: the platform stores the first ${String(this.maxChars)} characters]\n`;
      capture.truncated = true;
      // Nothing more will be kept: stop reading the pod's log.
      capture.follow?.abort();
    }
    capture.accepted += fresh.length;
    capture.queued += fresh;
    if (capture.queued.length >= FLUSH_CHARS) this.flush(capture, key);
    else capture.flushTimer ??= setTimeout(() => this.flush(capture, key), FLUSH_MS);
    return !capture.truncated;
  }

  private flush(capture: Capture, key: string): void {
    clearTimeout(capture.flushTimer);
    capture.flushTimer = undefined;
    const text = capture.queued;
    if (text === '') return;
    capture.queued = '';
    capture.writes = capture.writes.then(async () => {
      try {
        const offset = capture.stored;
        await this.deps.store.append(key, offset, text);
        capture.stored += text.length;
      } catch (error) {
        this.deps.logger.error({ logKey: key, err: error }, 'could not store build log');
      }
    });
  }
}

/**
 * A line longer than this is cut into pieces of at most this many characters
 * (plus a newline each): a log without newlines must not grow one string
 * without bound in the api.
 */
export const LINE_MAX = 64 * 1024;

/** One read of a log from its start: complete lines, redacted, at their offsets. */
class Pass {
  produced = 0;
  partial = '';
  utf8: StringDecoder | undefined;
  /** Set when the receiver wants no more (the log was truncated): the rest is not even redacted. */
  private done = false;

  constructor(
    private readonly redactor: Redactor,
    /** Takes one piece; false when it wants no more. */
    private readonly out: (piece: { start: number; text: string }) => boolean,
  ) {}

  feed(text: string): void {
    if (this.done) return;
    // A cut must see every secret that could cross it, so it waits for this much.
    const reach = LINE_MAX + Math.max(0, this.redactor.longest - 1);
    // What waits holds no newline: a chunk without one that leaves the line short of a cut only
    // waits too. Scanning the whole waiting line again for each small chunk of a long line cost
    // the square of its length (a 64 KiB line in 7-byte chunks: 9,000 scans of up to 64 KiB).
    if (!text.includes('\n') && this.partial.length + text.length < reach) {
      this.partial += text;
      return;
    }
    const data = this.partial + text;
    let from = 0;
    while (this.wantsMore()) {
      const newline = data.indexOf('\n', from);
      const end = newline === -1 ? data.length : newline;
      if (end - from <= LINE_MAX) {
        if (newline === -1) break;
        this.emit(`${this.redactor.redact(data.slice(from, newline))}\n`);
        from = newline + 1;
      } else if (newline !== -1 || data.length - from >= reach) {
        // Force-split a long line where no secret straddles the cut, so each piece
        // is redacted whole; the cut depends only on the text, so passes agree.
        const window = data.slice(from, from + reach);
        const cut = Math.max(1, this.redactor.safeCut(window, LINE_MAX));
        this.emit(`${this.redactor.redact(window.slice(0, cut))}\n`);
        from += cut;
      } else {
        break;
      }
    }
    this.partial = this.wantsMore() ? data.slice(from) : '';
  }

  /** The log is whole: its last line counts even without a newline. */
  end(): void {
    this.feed('');
    if (this.partial !== '' && this.wantsMore()) this.emit(this.redactor.redact(this.partial));
    this.partial = '';
  }

  /** A method, not the field: emit() changes it behind the loops that ask. */
  private wantsMore(): boolean {
    return !this.done;
  }

  private emit(line: string): void {
    // PostgreSQL text cannot hold NUL: one in a batch made its UPDATE fail and every
    // line of that batch vanish. U+FFFD keeps the length, so the passes still line up.
    const text = line.replaceAll('\0', '\uFFFD');
    const start = this.produced;
    this.produced += text.length;
    if (!this.out({ start, text })) this.done = true;
  }
}

/** Multi-byte characters split across chunks decode whole. */
function decoder(pass: Pass): StringDecoder {
  pass.utf8 ??= new StringDecoder('utf8');
  return pass.utf8;
}
