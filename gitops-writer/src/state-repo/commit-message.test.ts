import { StateRepoError } from '../errors.js';
import { formatCommitMessage, oneLine, safeIdentity } from './commit-message.js';

const actor = { name: 'Alice', email: 'alice@example.com', login: 'alice' };

describe('formatCommitMessage', () => {
  it('writes the subject and the trailers the state repo promises', () => {
    expect(
      formatCommitMessage('ab12cd-shop/web', {
        verb: 'deploy',
        summary: 'roll out 1234567',
        actor,
        deploymentId: 'd-1',
        sourceCommit: 'abc',
        body: 'Build succeeded.',
      }),
    ).toBe(
      'deploy(ab12cd-shop/web): roll out 1234567\n\nBuild succeeded.\n\nDangus-Actor: alice\nDangus-Deployment: d-1\nDangus-Source-Commit: abc\n',
    );
  });

  it('leaves out trailers that do not apply', () => {
    expect(formatCommitMessage('ab12cd-shop', { verb: 'create', summary: 'create project', actor })).toBe(
      'create(ab12cd-shop): create project\n\nDangus-Actor: alice\n',
    );
  });

  it.each(['Deploy', 'de ploy', '', 'x(y)'])('refuses the verb %j', (verb) => {
    expect(() => formatCommitMessage('ns', { verb, summary: 's', actor })).toThrow(StateRepoError);
  });

  it('shortens a long summary to one line of 200 characters', () => {
    const message = formatCommitMessage('ns', { verb: 'update', summary: 'x'.repeat(1000), actor });
    expect(message.split('\n')[0]?.length).toBe('update(ns): '.length + 200);
  });
});

describe('identities and single lines', () => {
  it.each([
    ['a\nb', 'a b'],
    ['a\r\n\tb\u0000c', 'a b c'],
    ['  spaced  ', 'spaced'],
  ])('oneLine(%j) is %j', (input, expected) => {
    expect(oneLine(input)).toBe(expected);
  });

  it('strips what would break a commit header, and never leaves a name empty', () => {
    expect(safeIdentity({ name: '<>\n', email: '<e@x>' }, 'login')).toEqual({ name: 'login', email: 'e@x' });
  });
});
