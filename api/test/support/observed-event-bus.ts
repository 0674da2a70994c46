import type { DeploymentEvent, LogEndEvent, LogEvent } from '../../src/events/event-bus.js';
import { SharedEventBus } from '../../src/events/shared-event-bus.js';

/**
 * The process's event bus (through PostgreSQL, as production's), which also tells a test
 * when a stream has subscribed: an event published after that reaches the stream, none is
 * lost to a subscription still on its way.
 */
export class ObservedEventBus extends SharedEventBus {
  private readonly subscribers = new Map<string, number>();
  private readonly waiting = new Map<string, { count: number; resolve: () => void }[]>();

  override onDeployment(userId: string, listener: (event: DeploymentEvent) => void): () => void {
    return this.track(`user:${userId}`, super.onDeployment(userId, listener));
  }

  override onLog(deploymentId: string, listener: (event: LogEvent) => void, onEnd: (event: LogEndEvent) => void): () => void {
    return this.track(`log:${deploymentId}`, super.onLog(deploymentId, listener, onEnd));
  }

  /** Resolves once `count` streams (at once) follow the user's deployment changes. */
  deploymentSubscribers(userId: string, count = 1): Promise<void> {
    return this.reach(`user:${userId}`, count);
  }

  /** Resolves once `count` streams (at once) follow the deployment's build log. */
  logSubscribers(deploymentId: string, count = 1): Promise<void> {
    return this.reach(`log:${deploymentId}`, count);
  }

  /** How many streams follow the user's deployment changes now. */
  deploymentFollowers(userId: string): number {
    return this.subscribers.get(`user:${userId}`) ?? 0;
  }

  private track(topic: string, unsubscribe: () => void): () => void {
    this.subscribers.set(topic, (this.subscribers.get(topic) ?? 0) + 1);
    const now = this.subscribers.get(topic) ?? 0;
    const waiters = this.waiting.get(topic) ?? [];
    for (const waiter of waiters.filter((w) => w.count <= now)) waiter.resolve();
    this.waiting.set(topic, waiters.filter((w) => w.count > now));
    let subscribed = true;
    return () => {
      if (subscribed) this.subscribers.set(topic, (this.subscribers.get(topic) ?? 1) - 1);
      subscribed = false;
      unsubscribe();
    };
  }

  private reach(topic: string, count: number): Promise<void> {
    if ((this.subscribers.get(topic) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(topic, [...(this.waiting.get(topic) ?? []), { count, resolve }]));
  }
}
