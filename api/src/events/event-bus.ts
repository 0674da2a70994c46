import { EventEmitter } from 'node:events';
import type { DeploymentDto } from '@dangus/common';

/** A deployment moved: sent to its owner's `/api/events` streams. */
export interface DeploymentEvent {
  userId: string;
  deployment: DeploymentDto;
  /** Its position in the user's stream, when events are stored (shared-event-bus.ts): the SSE id. */
  id?: string;
}

/** Text appended to a deployment's stored build log, at `offset` (UTF-16 units) of the whole log. */
export interface LogEvent {
  deploymentId: string;
  offset: number;
  text: string;
}

/** The log of a deployment is complete (its build ended, or it never had one). */
export interface LogEndEvent {
  deploymentId: string;
}

/**
 * In-process fan-out of what the pipeline does to the SSE streams of this api
 * process. The database stays the record: a stream that connects late, or
 * reconnects, reads what it missed from the rows first. With more than one
 * process, SharedEventBus carries the same events through PostgreSQL.
 */
export class EventBus {
  protected readonly emitter = new EventEmitter();

  constructor() {
    // Every open SSE stream is a listener; their number is bounded by the connections.
    this.emitter.setMaxListeners(0);
  }

  deploymentChanged(event: DeploymentEvent): void {
    this.emitter.emit(`user:${event.userId}`, event);
  }

  logAppended(event: LogEvent): void {
    this.emitter.emit(`log:${event.deploymentId}`, event);
  }

  logEnded(event: LogEndEvent): void {
    this.emitter.emit(`log-end:${event.deploymentId}`, event);
  }

  /** The user's stored events after `afterId`, oldest first (none here: this bus keeps no record). */
  deploymentsAfter(_userId: string, _afterId: string): Promise<DeploymentEvent[]> {
    return Promise.resolve([]);
  }

  /** Returns the unsubscribe function. */
  onDeployment(userId: string, listener: (event: DeploymentEvent) => void): () => void {
    return this.on(`user:${userId}`, listener);
  }

  onLog(deploymentId: string, listener: (event: LogEvent) => void, onEnd: (event: LogEndEvent) => void): () => void {
    const offLog = this.on(`log:${deploymentId}`, listener);
    const offEnd = this.on(`log-end:${deploymentId}`, onEnd);
    return () => {
      offLog();
      offEnd();
    };
  }

  private on(name: string, listener: (event: DeploymentEvent & LogEvent & LogEndEvent) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
