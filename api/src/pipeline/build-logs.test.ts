import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { createTestDatabase } from '../../test/support/database.js';
import { BuildLogs, LINE_MAX, deploymentLogStore, previewLogStore, type LogSource, type LogTarget } from './build-logs.js';
import { EventBus, type LogEvent } from '../events/event-bus.js';
import { REDACTED, Redactor } from './redact.js';

const SECRET = 'ghp_R3alLook1ngT0ken0123456789abcdef';
const redactor = new Redactor([SECRET]);
const logger = pino({ level: 'silent' });

/** Lets queued stream writes, promise callbacks and the follow's end run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The build pod's log as the apiserver serves it (the edge a test cannot run:
 * there is no kubelet here). A follow starts from the beginning of the log, as
 * `kubectl logs -f` does, replayed in small byte chunks that split lines and
 * multi-byte characters; then it gets what the build writes, in the chunks it
 * writes them.
 */
class FakePodLog implements LogSource {
  private log = Buffer.alloc(0);
  private readonly streams = new Set<{ sink: Writable; end: () => void }>();
  follows = 0;
  /** What `read` does: the whole log, `null` (pod gone) or an error. */
  readMode: 'log' | 'gone' | 'error' = 'log';

  constructor(private readonly replayChunkBytes = 5) {}

  /** The build prints: every open follow stream gets exactly these chunks. */
  async write(...chunks: (string | Buffer)[]): Promise<void> {
    for (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.log = Buffer.concat([this.log, bytes]);
      for (const stream of this.streams) stream.sink.write(bytes);
    }
    await settle();
  }

  /** The apiserver drops every follow stream (the build keeps running). */
  async drop(): Promise<void> {
    for (const stream of this.streams) stream.end();
    await settle();
  }

  follow(_target: LogTarget, sink: Writable, signal: AbortSignal): Promise<void> {
    this.follows += 1;
    return new Promise((resolve) => {
      const stream = {
        sink,
        end: () => {
          this.streams.delete(stream);
          resolve();
        },
      };
      signal.addEventListener('abort', stream.end, { once: true });
      this.streams.add(stream);
      for (let at = 0; at < this.log.length; at += this.replayChunkBytes) sink.write(this.log.subarray(at, at + this.replayChunkBytes));
    });
  }

  read(_target: LogTarget): Promise<string | null> {
    if (this.readMode === 'gone') return Promise.resolve(null);
    if (this.readMode === 'error') return Promise.reject(new Error('connection refused'));
    return Promise.resolve(this.log.toString('utf8'));
  }
}

/** Splits `text`'s UTF-8 bytes into chunks of `size` bytes: cuts lines and multi-byte characters alike. */
function byteChunks(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** Polls (the stores are batched on a timer) until `condition` holds, for at most 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not reached');
}

describe('BuildLogs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let serviceId: string;
  let deploymentId: string;
  let target: LogTarget;
  let events: EventBus;
  /** Every event for the deployment, in the order the bus delivered them. */
  let received: ({ kind: 'append' } & LogEvent | { kind: 'end' })[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.dataSource;
    const users: { id: string }[] = await db.query(
      `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES (4242, 'octocat', 'encrypted', 'a1b2c3') RETURNING id`,
    );
    const userId = users[0]!.id;
    const projects: { id: string }[] = await db.query(`INSERT INTO projects (user_id, name) VALUES ($1, 'shop') RETURNING id`, [userId]);
    const services: { id: string }[] = await db.query(
      `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret)
       VALUES ($1, $2, 'web', 'a1b2c3-shop--web', 'https://github.com/acme/web', 8080, 'whsec') RETURNING id`,
      [projects[0]!.id, userId],
    );
    serviceId = services[0]!.id;
  });
  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    const rows: { id: string }[] = await db.query(
      `INSERT INTO deployments (service_id, commit_sha, status, trigger) VALUES ($1, $2, 'building', 'push') RETURNING id`,
      [serviceId, randomBytes(20).toString('hex')],
    );
    deploymentId = rows[0]!.id;
    target = { key: deploymentId, namespace: 'a1b2c3-shop', pod: 'build-web-0f3c9e1-x7k2p', container: 'kaniko' };
    events = new EventBus();
    received = [];
    events.onLog(
      deploymentId,
      (event) => received.push({ kind: 'append', ...event }),
      () => received.push({ kind: 'end' }),
    );
  });

  function buildLogs(source: LogSource, maxChars?: number): BuildLogs {
    return new BuildLogs({ store: deploymentLogStore(db, events), source, logger, ...(maxChars === undefined ? {} : { maxChars }) });
  }

  async function stored(): Promise<string | null> {
    const rows: { build_logs: string | null }[] = await db.query(`SELECT build_logs FROM deployments WHERE id = $1`, [deploymentId]);
    return rows[0]!.build_logs;
  }

  /** The appended pieces, in order, start at `from` and follow each other without gap or overlap. */
  function appendedText(from = 0): string {
    let offset = from;
    let text = '';
    for (const event of received) {
      if (event.kind !== 'append') continue;
      expect(event).toEqual({ kind: 'append', deploymentId, offset, text: event.text });
      offset += event.text.length;
      text += event.text;
    }
    return text;
  }

  it('stores a followed log exactly, however its chunks split lines and UTF-8 characters', async () => {
    const log = 'Step 1/4 : FROM node:20-alpine\n → résumé ✓ 構築中 😀🚀\n\nStep 2/4 : RUN npm ci\nadded 312 packages in 4s\n';
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    // 3-byte chunks cut every multi-byte character somewhere, and most lines.
    await pod.write(...byteChunks(log, 3));
    // The pod is gone by the end: what is stored came through the follow alone.
    pod.readMode = 'gone';
    await logs.complete(target, redactor, deploymentId);

    expect(await stored()).toBe(log);
    expect(appendedText()).toBe(log);
    expect(received.at(-1)).toEqual({ kind: 'end' });
  });

  it('redacts a secret even when the stream splits it across chunks', async () => {
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    await pod.write(`cloning https://x-access-token:${SECRET.slice(0, 9)}`, `${SECRET.slice(9)}@github.com/acme/web\n`, 'Step 1/4 : FROM node:20\n');
    pod.readMode = 'gone';
    await logs.complete(target, redactor, deploymentId);

    const expected = `cloning https://x-access-token:${REDACTED}@github.com/acme/web\nStep 1/4 : FROM node:20\n`;
    expect(await stored()).toBe(expected);
    expect(appendedText()).toBe(expected);
  });

  it('across a dropped follow, a second follow and the final read, stores every line once, the last one without its newline too', async () => {
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    // A secret early on makes the redacted text shorter than the raw log: passes must line up on the redacted text.
    await pod.write(`token ${SECRET} set\nStep 1/3 : FROM node:20\nStep 2/3 : RU`);
    // Stored and streamed while the build runs, not only at its end.
    await waitFor(() => received.length > 0);
    expect(await stored()).toBe(`token ${REDACTED} set\nStep 1/3 : FROM node:20\n`);
    await pod.drop();
    await waitFor(() => !logs.isFollowing(deploymentId));

    await pod.write('N npm ci\nadded 12 packages\n');
    await logs.follow(target, redactor);
    expect(pod.follows).toBe(2);
    await pod.write('Step 3/3 : CMD ["node", "server.js"]\n', 'Pushing image ');
    // The follow never saw the end of this line, nor this last one; the final read does.
    await pod.drop();
    await pod.write('registry.dangus.local/a1b2c3/web:0f3c9e1\ndone in 41 s');
    await logs.complete(target, redactor, deploymentId);

    const expected = [
      `token ${REDACTED} set`,
      'Step 1/3 : FROM node:20',
      'Step 2/3 : RUN npm ci',
      'added 12 packages',
      'Step 3/3 : CMD ["node", "server.js"]',
      'Pushing image registry.dangus.local/a1b2c3/web:0f3c9e1',
      'done in 41 s',
    ].join('\n');
    expect(await stored()).toBe(expected);
    expect(appendedText()).toBe(expected);
    expect(received.filter((event) => event.kind === 'end')).toHaveLength(1);
    expect(received.at(-1)).toEqual({ kind: 'end' });
  });

  it('force-splits a line without newlines at 64 KiB, redacting a secret that spans the cut, the same in the follow and the final read', async () => {
    // The secret starts 10 characters before the first 64 KiB boundary: a cut there would show its first 10.
    const head = 'x'.repeat(LINE_MAX - 10);
    const raw = `${head}${SECRET}${'y'.repeat(150_000)}`;
    const pod = new FakePodLog(4096);
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    // Chunks of an odd size cut the line anywhere (a few hundred writes: the test stays cheap on a loaded machine).
    await pod.write(...byteChunks(raw.slice(0, 100_000), 509));
    await pod.drop();
    await waitFor(() => !logs.isFollowing(deploymentId));
    // The rest arrives only through the final read, which must line up with what the follow kept.
    await pod.write(raw.slice(100_000));
    await logs.complete(target, redactor, deploymentId);

    const log = (await stored()) ?? '';
    expect(log).not.toContain(SECRET.slice(0, 8));
    expect(log.replaceAll('\n', '')).toBe(`${head}${REDACTED}${'y'.repeat(150_000)}`);
    const pieces = log.split('\n');
    expect(pieces.length).toBeGreaterThan(3);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThanOrEqual(LINE_MAX);
    // The first cut moved back to where the secret starts.
    expect(pieces[0]).toBe(head);
    expect(appendedText()).toBe(log);
  }, 120_000);

  it('stores a NUL byte as U+FFFD (PostgreSQL text cannot hold it), losing none of the lines around it', async () => {
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    await pod.write('Step 2/3 : RUN cat build.bin\n', Buffer.from([0x45, 0x4c, 0x46, 0x00, 0x01, 0x0a]), 'Step 3/3 : CMD ["node", "server.js"]\n');
    pod.readMode = 'gone';
    await logs.complete(target, redactor, deploymentId);

    const expected = 'Step 2/3 : RUN cat build.bin\nELF\uFFFD\u0001\nStep 3/3 : CMD ["node", "server.js"]\n';
    expect(await stored()).toBe(expected);
    expect(appendedText()).toBe(expected);
  });

  it('does not open a second stream while one follows', async () => {
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    await logs.follow(target, redactor);
    await pod.write('one line\n');
    await logs.complete(target, redactor, deploymentId);

    expect(pod.follows).toBe(1);
    expect(await stored()).toBe('one line\n');
  });

  it('after an api restart, a new instance continues the stored log without duplicating it', async () => {
    const pod = new FakePodLog();
    const before = buildLogs(pod);
    await before.follow(target, redactor);
    await pod.write(`git clone with ${SECRET}\n`, 'Step 1/2 : FROM node:20\nStep 2/2 : RUN np');
    await before.stop();
    const first = `git clone with ${REDACTED}\nStep 1/2 : FROM node:20\n`;
    expect(await stored()).toBe(first);
    expect(appendedText()).toBe(first);

    received = [];
    const after = buildLogs(pod);
    await pod.write('m run build\n');
    await after.follow(target, redactor);
    await pod.write('built in 3 s\n', 'exporting layers');
    await after.complete(target, redactor, deploymentId);

    const rest = 'Step 2/2 : RUN npm run build\nbuilt in 3 s\nexporting layers';
    expect(await stored()).toBe(first + rest);
    // The new instance's events continue at the stored length.
    expect(appendedText(first.length)).toBe(rest);
  });

  it('a complete() on a log already stored whole adds nothing (the pipeline ran it again after a crash)', async () => {
    const pod = new FakePodLog();
    await pod.write('a line\nthe last line');
    await buildLogs(pod).complete(target, redactor, deploymentId);
    await buildLogs(pod).complete(target, redactor, deploymentId);

    expect(await stored()).toBe('a line\nthe last line');
    expect(appendedText()).toBe('a line\nthe last line');
    expect(received.filter((event) => event.kind === 'end')).toHaveLength(2);
  });

  describe('with a size cap', () => {
    const NOTE = '\n[log truncated: the platform stores the first 45 characters]\n';
    const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(4, '0')}\n`).join('');

    it('stores the first maxChars characters and the note, and nothing beyond, from any later pass', async () => {
      const pod = new FakePodLog();
      const logs = buildLogs(pod, 45);
      await logs.follow(target, redactor);
      // Ten characters a line: the cap falls in the middle of the fifth.
      await pod.write(lines(1, 8));
      await pod.drop();
      await waitFor(() => !logs.isFollowing(deploymentId));
      await logs.follow(target, redactor);
      await pod.write(lines(9, 12));
      await logs.complete(target, redactor, deploymentId);

      const expected = `${lines(1, 4)}line ${NOTE}`;
      expect(await stored()).toBe(expected);
      expect(appendedText()).toBe(expected);
      expect(received.at(-1)).toEqual({ kind: 'end' });
    });

    it('stops following the pod once the log is truncated', async () => {
      const pod = new FakePodLog();
      const logs = buildLogs(pod, 45);
      await logs.follow(target, redactor);
      await pod.write(lines(1, 8));
      await waitFor(() => !logs.isFollowing(deploymentId));
      await pod.write(lines(9, 12));
      await logs.complete(target, redactor, deploymentId);
      expect(await stored()).toBe(`${lines(1, 4)}line ${NOTE}`);
    });

    it('after a restart, a truncated log stays as it is', async () => {
      const pod = new FakePodLog();
      await pod.write(lines(1, 8));
      await buildLogs(pod, 45).complete(target, redactor, deploymentId);
      const truncated = `${lines(1, 4)}line ${NOTE}`;
      expect(await stored()).toBe(truncated);

      const after = buildLogs(pod, 45);
      await after.follow(target, redactor);
      await pod.write(lines(9, 9));
      await after.complete(target, redactor, deploymentId);
      expect(await stored()).toBe(truncated);
    });
  });

  it.each([
    ['the pod is gone (the read gives null)', 'gone'],
    ['the final read fails', 'error'],
  ] as const)('when %s, keeps what was stored and still ends the log', async (_name, readMode) => {
    const pod = new FakePodLog();
    const logs = buildLogs(pod);
    await logs.follow(target, redactor);
    await pod.write('Step 1/2 : FROM node:20\n', 'Step 2/2 : RUN npm ci\nnpm ERR! code E');
    pod.readMode = readMode;
    await logs.complete(target, redactor, deploymentId);

    // The unfinished last line was never whole: it is lost with the pod.
    const expected = 'Step 1/2 : FROM node:20\nStep 2/2 : RUN npm ci\n';
    expect(await stored()).toBe(expected);
    expect(appendedText()).toBe(expected);
    expect(received.at(-1)).toEqual({ kind: 'end' });
  });

  it('with no build pod to read (complete(null)), stores nothing and ends the log', async () => {
    const logs = buildLogs(new FakePodLog());
    await logs.complete(null, redactor, deploymentId);

    expect(await stored()).toBeNull();
    expect(received).toEqual([{ kind: 'end' }]);
  });

  describe('a preview build\'s log (previewLogStore)', () => {
    const [oldSha, newSha] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
    let previewId: string;

    beforeEach(async () => {
      const rows: { id: string }[] = await db.query(
        `INSERT INTO previews (service_id, pr_number, host, state, head_sha, head_ref, fork, author, pr_updated_at, last_push_at)
         VALUES ($1, $2, $3, 'building', $4, 'feature', false, 'octocat', now(), now()) RETURNING id`,
        [serviceId, Math.floor(Math.random() * 1e6) + 1, `web-pr-${randomBytes(6).toString('hex')}`, newSha],
      );
      previewId = rows[0]!.id;
    });

    async function row(): Promise<{ head_sha: string; log: string; complete: boolean } | undefined> {
      const rows: { head_sha: string; log: string; complete: boolean }[] = await db.query(`SELECT head_sha, log, complete FROM preview_build_logs WHERE preview_id = $1`, [previewId]);
      return rows[0];
    }

    it('keeps the log of the build the row is of: a superseded build\'s last pieces never land in the newer build\'s log', async () => {
      const oldPod = new FakePodLog();
      const oldLogs = new BuildLogs({ store: previewLogStore(db), source: oldPod, logger });
      await db.query(`INSERT INTO preview_build_logs (preview_id, head_sha) VALUES ($1, $2)`, [previewId, oldSha]);
      const oldTarget = { ...target, key: `${previewId}:${oldSha}` };
      await oldLogs.follow(oldTarget, redactor);
      await oldPod.write(`Step 1/2 : FROM node:24\ncloning with ${SECRET}\n`);
      // A newer push's build takes the row over (as PreviewBuilds does when it writes its Secret)…
      await db.query(`UPDATE preview_build_logs SET head_sha = $2, log = '', complete = false WHERE preview_id = $1`, [previewId, newSha]);
      // …while the old build still streams and then ends.
      await oldPod.write('Step 2/2 : RUN make\n');
      oldPod.readMode = 'gone';
      await oldLogs.complete(oldTarget, redactor, oldTarget.key);
      expect(await row()).toEqual({ head_sha: newSha, log: '', complete: false });

      const pod = new FakePodLog();
      await pod.write(`Step 1/1 : FROM node:24\ntoken ${SECRET}\n`);
      await new BuildLogs({ store: previewLogStore(db), source: pod, logger }).complete({ ...target, key: `${previewId}:${newSha}` }, redactor, `${previewId}:${newSha}`);
      expect(await row()).toEqual({ head_sha: newSha, log: 'Step 1/1 : FROM node:24\ntoken [redacted]\n', complete: true });
    });
  });
});
