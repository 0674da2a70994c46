// Refuses a commit whose subject (its message's first line) is longer than 72 characters,
// the repository's convention (docs/architecture.md#code-conventions). Git runs it as the
// commit-msg hook once a clone sets `git config core.hooksPath .githooks`; by hand:
// `node scripts/check-commit-msg.mjs <file holding the message>`.
import { readFileSync } from 'node:fs';

const SUBJECT_MAX = 72;

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/check-commit-msg.mjs <commit message file>\n');
  process.exit(2);
}
// Git strips `#` lines after the hook (with the default cleanup), so the subject is the
// first line that is neither a comment nor blank.
const subject = readFileSync(file, 'utf8')
  .split('\n')
  .find((line) => !line.startsWith('#') && line.trim() !== '') ?? '';
const length = [...subject].length;
if (length > SUBJECT_MAX) {
  process.stderr.write(
    `commit-msg: the subject is ${String(length)} characters, more than ${String(SUBJECT_MAX)}:\n  ${subject}\n` +
      'Shorten it and put the detail in the body, after a blank line.\n',
  );
  process.exit(1);
}
