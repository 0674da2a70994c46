/**
 * A benchmark's clean-up steps, run in reverse order once `main` ends, fails or the
 * process is interrupted: every process, server and temporary directory it started goes.
 */
export function withCleanUp(log: (line: string) => void): { cleanups: (() => unknown)[]; run(main: () => Promise<void>): Promise<void> } {
  const cleanups: (() => unknown)[] = [];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanUp().finally(() => process.exit(130));
    });
  }
  return {
    cleanups,
    async run(main) {
      try {
        await main();
      } finally {
        await cleanUp();
      }
    },
  };
}
