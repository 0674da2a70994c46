/**
 * A `.env` file pasted whole, read line by line (pure). dotenv's `parse` gives each
 * value (quotes, multi-line values, `\n` in double quotes, comments), exactly as an app
 * that loads the file with dotenv would read it. dotenv skips a line it cannot read
 * without a word, so each line is first placed here: every line that is not blank, a
 * comment or part of a quoted value must assign a key, and each bad line is reported
 * with its number.
 */
import { parse } from 'dotenv';
import { envKeySchema, envValueSchema } from '@dangus/common';

export interface EnvFileEntry {
  key: string;
  value: string;
  /** 1-based: where the assignment starts. */
  line: number;
}

/** Messages past this many are summed up in one more line. */
const MAX_MESSAGES = 100;

/** `KEY=…`, `export KEY=…` or `KEY: …`, as dotenv reads them; the key is checked afterwards. */
const ASSIGNMENT = /^\s*(?:export\s+)?([^\s=:#]+)(?:\s*=|:(?=\s))(.*)$/d;
const PARSED_KEY = 'K';
const SKIPPED = /^\s*(?:#.*)?$/;
const QUOTES = new Set(["'", '"', '`']);

/** The line index where the quote opened at `rest[0]` of `lines[start]` closes, or -1. */
function closingLine(lines: string[], start: number, rest: string): number {
  const quote = rest[0] ?? '';
  let text = rest.slice(1);
  for (let i = start; i < lines.length; i += 1) {
    for (let at = text.indexOf(quote); at !== -1; at = text.indexOf(quote, at + 1)) {
      if (text[at - 1] !== '\\') return i;
    }
    text = lines[i + 1] ?? '';
  }
  return -1;
}

function issues(result: { success: boolean; error?: { issues: { message: string }[] } }): string[] {
  return result.success ? [] : (result.error?.issues.map((i) => i.message) ?? []);
}

/** The variables of `text`, in order, and a message per bad line ("Line 3: …"): either is empty. */
export function readEnvFile(text: string): { entries: EnvFileEntry[]; errors: string[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const entries: EnvFileEntry[] = [];
  const errors: string[] = [];
  const firstLine = new Map<string, number>();
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const number = i + 1;
    if (SKIPPED.test(line)) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      errors.push(`Line ${String(number)}: not a variable: write KEY=value.`);
      continue;
    }
    const key = match[1] ?? '';
    const rest = (match[2] ?? '').trimStart();
    let last = i;
    if (QUOTES.has(rest[0] ?? '')) {
      last = closingLine(lines, i, rest);
      if (last === -1) {
        errors.push(`Line ${String(number)}: ${key}: the quote (${rest[0] ?? ''}) that opens its value is never closed.`);
        break;
      }
    }
    const chunk = lines.slice(i, last + 1).join('\n');
    i = last;
    const keyIssues = issues(envKeySchema.safeParse(key));
    if (keyIssues.length > 0) {
      errors.push(`Line ${String(number)}: "${key}" is not a valid key: ${keyIssues.join(' ')}`);
      continue;
    }
    // Parsed under a stand-in key, so that no key (`__proto__`) is lost in dotenv's plain object.
    const parsed = parse(`${PARSED_KEY}${chunk.slice(match.indices?.[1]?.[1] ?? 0)}`);
    const value = Object.keys(parsed).length === 1 ? parsed[PARSED_KEY] : undefined;
    if (value === undefined) {
      errors.push(`Line ${String(number)}: ${key}: its value cannot be read: check its quotes.`);
      continue;
    }
    const valueIssues = issues(envValueSchema.safeParse(value));
    if (valueIssues.length > 0) {
      errors.push(`Line ${String(number)}: ${key}: ${valueIssues.join(' ')}`);
      continue;
    }
    const earlier = firstLine.get(key);
    if (earlier !== undefined) {
      errors.push(`Line ${String(number)}: ${key} is already set on line ${String(earlier)}: keep one.`);
      continue;
    }
    firstLine.set(key, number);
    entries.push({ key, value, line: number });
  }
  if (errors.length === 0 && entries.length === 0) errors.push('No variable in the text: paste lines such as KEY=value.');
  if (errors.length > MAX_MESSAGES) {
    const more = errors.length - MAX_MESSAGES;
    errors.splice(MAX_MESSAGES, more, `… and ${String(more)} more bad lines.`);
  }
  return { entries, errors };
}
