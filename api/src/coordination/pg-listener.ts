import pg from 'pg';
import type { Logger } from 'pino';

/** The channels of the platform's notifications (docs/architecture.md#process-roles). */
export const CHANNELS = {
  /** An intent was recorded in the outbox: payload its id. */
  intent: 'dangus_intent',
  /** The controller committed an intent: payload its id. */
  intentDone: 'dangus_intent_done',
  /** Deployments to reconcile soon: payload their ids, comma-separated. */
  kick: 'dangus_kick',
  /** A live event for the SSE streams: payload JSON (see shared-event-bus.ts). */
  events: 'dangus_events',
  /** The state repo's durable head moved: payload the commit. */
  state: 'dangus_state',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * One PostgreSQL connection that LISTENs on every channel, reconnecting with backoff
 * when it drops (PostgreSQL restarted, network). Notifications sent while it was away
 * are lost: every subscriber also re-reads its rows on `onConnect`, which runs after
 * each (re)connection, so a reconnect is a resync.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private readonly connectHandlers = new Set<() => void>();
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private firstConnect: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening (the first connection); later drops reconnect in the background. */
  start(): Promise<void> {
    this.firstConnect ??= new Promise((resolve) => {
      const attempt = () => {
        void this.connect().then((ok) => {
          if (ok || this.stopped) resolve();
          else this.timer = setTimeout(attempt, this.backoff());
        });
      };
      attempt();
    });
    return this.firstConnect;
  }

  on(channel: Channel, handler: (payload: string) => void): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Runs after every connection (the first too): re-read what notifications may have missed. */
  onConnect(handler: () => void): () => void {
    this.connectHandlers.add(handler);
    return () => this.connectHandlers.delete(handler);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private backoff(): number {
    const wait = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    return wait;
  }

  /** One attempt; a connection that drops later schedules its own reconnection. */
  private async connect(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    const state = { established: false, dropped: false };
    const drop = (error?: Error) => {
      if (state.dropped) return;
      state.dropped = true;
      void client.end().catch(() => undefined);
      if (!state.established) return;
      if (this.client === client) this.client = undefined;
      if (this.isStopped()) return;
      this.logger.warn({ err: error }, 'lost the PostgreSQL notification connection: reconnecting');
      this.timer = setTimeout(() => void this.reconnect(), this.backoff());
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      drop();
      if (!this.isStopped()) this.logger.warn({ err: error }, 'could not listen for PostgreSQL notifications: retrying');
      return false;
    }
    if (this.isStopped() || state.dropped) {
      drop();
      return false;
    }
    state.established = true;
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    for (const handler of this.connectHandlers) handler();
    return true;
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private async reconnect(): Promise<void> {
    if (this.isStopped()) return;
    if (!(await this.connect()) && !this.isStopped()) this.timer = setTimeout(() => void this.reconnect(), this.backoff());
  }
}
