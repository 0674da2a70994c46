/**
 * Thrown by start-up code that knows which setting is wrong (a KUBECONFIG that is no
 * kubeconfig): its message, `SETTING: what is wrong and what to do`, is the one line the
 * process prints before it exits (startup/failure.ts).
 */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    what: string,
  ) {
    super(`${setting}: ${what}`);
  }
}
