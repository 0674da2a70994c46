/** Shorter values are not redacted: masking every "1" or "true" would destroy the log. */
export const MIN_SECRET_LENGTH = 4;

export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of a secret value in a line of log. Longest values
 * first, so a secret that contains another is masked whole.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(values: Iterable<string>) {
    const unique = new Set<string>();
    for (const value of values) {
      // A value is matched line by line: each line of a multi-line secret is one.
      for (const part of value.split(/\r?\n/)) if (part.length >= MIN_SECRET_LENGTH) unique.add(part);
    }
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  redact(line: string): string {
    let out = line;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
