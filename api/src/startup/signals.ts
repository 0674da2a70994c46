/**
 * Ctrl-C (SIGINT) and SIGTERM stop the process once, in its own order: the app drains, then
 * the embedded PostgreSQL stops (it runs in a session of its own, so a terminal's Ctrl-C does
 * not reach it: db/embedded-postgres.ts). A repeated signal while stopping is ignored: `npm
 * start` forwards the Ctrl-C that the terminal already sent, and the stop is bounded anyway
 * (SHUTDOWN_GRACE_SECONDS).
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): void {
  // embedded-postgres registers (through async-exit-hook, at import) handlers that stop
  // every cluster it started and exit at once on these signals: the drain would never run.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
