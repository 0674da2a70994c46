/**
 * The pipeline as use cases see it: they record rows, it does the work. In the api
 * role it runs in the controller, and a kick is a PostgreSQL notification.
 */
export interface PipelineHandle {
  /** Reconcile these deployments soon (never awaited: the rows are the durable record). */
  kick(deploymentIds: string[]): void;
}
