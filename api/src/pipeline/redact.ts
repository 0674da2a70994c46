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

  /** Length of the longest value masked (0 when none): how far a secret can reach across a cut. */
  get longest(): number {
    return this.secrets[0]?.length ?? 0;
  }

  /**
   * Where to cut `text` at or before `at` so that no secret straddles the cut:
   * `at`, or the start of the earliest secret crossing it. Looks at most
   * {@link longest} characters past `at`.
   */
  safeCut(text: string, at: number): number {
    let cut = at;
    for (const secret of this.secrets) {
      let from = Math.max(0, at - secret.length + 1);
      for (let i = text.indexOf(secret, from); i !== -1 && i < at; i = text.indexOf(secret, from)) {
        if (i + secret.length > at) cut = Math.min(cut, i);
        from = i + 1;
      }
    }
    return cut;
  }

  redact(line: string): string {
    let out = line;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
