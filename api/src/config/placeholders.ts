/**
 * Values an operator forgot to fill in: a template's placeholder (`REPLACE_ME` in
 * bootstrap/secret.template.yaml, `changeme`, `<your-secret>`) or an empty secret. Each is
 * refused at start-up naming the setting, instead of starting with it (a `REPLACE_ME`
 * password, a session secret everyone knows) or failing later with a puzzling error.
 */

/** Words that templates put where a value belongs, matched as a whole word, in any case. */
const PLACEHOLDER_WORDS = /(?:^|[^a-z0-9])(replace[_-]?me|change[_-]?me|change[_-]?it|fill[_-]?me[_-]?in|your[_-][a-z0-9_-]*here)(?:$|[^a-z0-9])/i;
/** A value that is only `<something>`, `...`, `TODO` or `FIXME`. */
const PLACEHOLDER_WHOLE = /^(<[^<>]*>|\.\.\.|…|todo|fixme)$/i;

/** How to make a good value of each secret, for the message. */
export const SECRET_HINTS: Record<string, string> = {
  ENCRYPTION_KEY: 'base64 of 32 random bytes: `openssl rand -base64 32`',
  SESSION_SECRET: 'at least 32 random characters: `openssl rand -base64 48`',
  STATE_REPO_TOKEN: 'at least 16 random characters: `openssl rand -hex 32`',
  APPLIER_TOKEN: 'a random token: `openssl rand -hex 32`',
  GITHUB_CLIENT_SECRET: "the OAuth app's client secret (GitHub → Settings → Developer settings → OAuth Apps)",
  HARBOR_PASSWORD: "the Harbor robot account's secret",
  HARBOR_ADMIN_PASSWORD: "the Harbor account's password",
  GITOPS_WEBHOOK_SECRET: "the Flux Receiver's token: `openssl rand -hex 32`",
  STATE_REPO_REMOTE_TOKEN: "a token that may push to the remote",
};

/** The placeholder a value holds (`REPLACE_ME`, `<token>`), or undefined for a real value. */
export function placeholderIn(value: string): string | undefined {
  const trimmed = value.trim();
  if (PLACEHOLDER_WHOLE.test(trimmed)) return trimmed;
  return PLACEHOLDER_WORDS.exec(trimmed)?.[1];
}

/**
 * One problem per setting of `keys` whose value is a placeholder, and per secret that is
 * set but empty where it is required (`requiredSecrets`). The value itself is not
 * repeated, only the placeholder word: it may sit inside a URL with a real user name.
 */
export function placeholderProblems(
  env: Record<string, string | undefined>,
  keys: readonly string[],
  requiredSecrets: ReadonlySet<string>,
): Map<string, string> {
  const problems = new Map<string, string>();
  for (const key of keys) {
    const value = env[key];
    if (value === undefined) continue;
    const hint = SECRET_HINTS[key];
    const placeholder = placeholderIn(value);
    if (placeholder !== undefined) {
      const what = hint ? `set it to ${hint}` : 'set the real value';
      problems.set(
        key,
        `${key}: still holds the placeholder "${placeholder}": ${what}${requiredSecrets.has(key) ? '' : ', or remove the setting if you do not use it (it is optional)'}.`,
      );
    } else if (value.trim() === '' && requiredSecrets.has(key)) {
      problems.set(key, `${key}: is empty: set it to ${hint ?? 'a value'}.`);
    }
  }
  return problems;
}
