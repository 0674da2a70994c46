import type { DeploymentDto } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { EventBus, type DeploymentEvent, type LogEndEvent, type LogEvent } from './event-bus.js';
import { CHANNELS, type PgListener } from '../coordination/pg-listener.js';

/** Serializes the inserts of deployment events, so their ids commit in order ("evts"). */
const EVENTS_LOCK_KEY = 0x65767473;
/** A notification's payload must stay under PostgreSQL's 8,000 bytes; longer log text is read from the row. */
const MAX_INLINE_BYTES = 7_000;

type Notice =
  | { k: 'd'; u: string; id: string }
  | { k: 'l'; d: string; o: number; n: number; x?: string }
  | { k: 'e'; d: string };

/**
 * The event bus of a platform with more than one process (docs/architecture.md#process-roles):
 * whatever publishes (the controller's pipeline, an api's use case) goes through
 * PostgreSQL, and every process's listener hands it to the SSE streams it holds.
 *
 * - A deployment event is a row of `deployment_events` (its id is the stream's
 *   `Last-Event-ID`) and a notification. Inserts are serialized by a transaction
 *   lock, so ids commit in order: a stream resumed on another replica after id N
 *   reads every later event of its user, and none twice.
 * - A log piece is stored in the deployment row before it is announced; the
 *   notification carries the piece (or, past the payload limit, where it lies).
 *   Notifications are sent one at a time, in order.
 * - After the listener reconnects, each user with a stream here re-reads what it missed.
 */
export class SharedEventBus extends EventBus {
  private publishing: Promise<void> = Promise.resolve();
  /** The last deployment event delivered here, per user with streams here. */
  private readonly cursors = new Map<string, string>();
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: { db: DataSource; listener: PgListener; logger: Logger },
  ) {
    super();
    deps.listener.on(CHANNELS.events, (payload) => this.received(payload));
    deps.listener.onConnect(() => {
      for (const userId of this.cursors.keys()) this.catchUp(userId, undefined);
    });
  }

  override deploymentChanged(event: DeploymentEvent): void {
    this.publish(async () => {
      await this.deps.db.transaction(async (manager) => {
        await manager.query(`SELECT pg_advisory_xact_lock($1)`, [EVENTS_LOCK_KEY]);
        const rows: { id: string }[] = await manager.query(`INSERT INTO deployment_events (user_id, payload) VALUES ($1, $2) RETURNING id`, [
          event.userId,
          JSON.stringify(event.deployment),
        ]);
        await this.notify(manager, { k: 'd', u: event.userId, id: String(rows[0]?.id) });
      });
    });
  }

  override logAppended(event: LogEvent): void {
    const notice: Notice = { k: 'l', d: event.deploymentId, o: event.offset, n: event.text.length, x: event.text };
    if (Buffer.byteLength(JSON.stringify(notice)) > MAX_INLINE_BYTES) delete notice.x;
    this.publish(() => this.notify(this.deps.db, notice));
  }

  override logEnded(event: LogEndEvent): void {
    this.publish(() => this.notify(this.deps.db, { k: 'e', d: event.deploymentId }));
  }

  override async deploymentsAfter(userId: string, afterId: string): Promise<DeploymentEvent[]> {
    const rows: { id: string; payload: DeploymentDto }[] = await this.deps.db.query(
      `SELECT id, payload FROM deployment_events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT 1000`,
      [userId, afterId],
    );
    return rows.map((row) => ({ userId, id: row.id, deployment: row.payload }));
  }

  override onDeployment(userId: string, listener: (event: DeploymentEvent) => void): () => void {
    const off = super.onDeployment(userId, listener);
    return () => {
      off();
      if (this.emitter.listenerCount(`user:${userId}`) === 0) this.cursors.delete(userId);
    };
  }

  /** Resolves when everything published so far is sent (tests, shutdown). */
  flushed(): Promise<void> {
    return this.publishing;
  }

  private publish(send: () => Promise<void>): void {
    this.publishing = this.publishing.then(send).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'could not publish a live event (streams re-read the rows)');
    });
  }

  private async notify(db: Pick<DataSource, 'query'>, notice: Notice): Promise<void> {
    await db.query(`SELECT pg_notify('${CHANNELS.events}', $1)`, [JSON.stringify(notice)]);
  }

  private received(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return;
    }
    if (notice.k === 'd') {
      if (this.emitter.listenerCount(`user:${notice.u}`) > 0) this.catchUp(notice.u, notice.id);
    } else if (notice.k === 'e') {
      super.logEnded({ deploymentId: notice.d });
    } else if (this.emitter.listenerCount(`log:${notice.d}`) > 0) {
      if (notice.x !== undefined) super.logAppended({ deploymentId: notice.d, offset: notice.o, text: notice.x });
      // Too long to carry: an empty piece at its end, past what the streams sent, makes them read the row.
      else super.logAppended({ deploymentId: notice.d, offset: notice.o + notice.n, text: '' });
    }
  }

  /** Delivers the user's events after the cursor (the first time: from `notified`), one read per user at a time. */
  private catchUp(userId: string, notified: string | undefined): void {
    const previous = this.reading.get(userId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const cursor = this.cursors.get(userId) ?? (notified === undefined ? undefined : String(BigInt(notified) - 1n));
      if (cursor === undefined) return;
      try {
        for (const event of await this.deploymentsAfter(userId, cursor)) {
          super.deploymentChanged(event);
          this.cursors.set(userId, event.id ?? cursor);
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, userId }, 'could not read deployment events');
      }
    });
    this.reading.set(userId, next);
    void next.finally(() => {
      if (this.reading.get(userId) === next) this.reading.delete(userId);
    });
  }
}
