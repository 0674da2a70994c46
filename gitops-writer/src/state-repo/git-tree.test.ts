import { execFileSync } from 'node:child_process';
import { BLOB_MODE, TREE_MODE, encodeTree, hashObject, memoryBlob, replaceEntry, sortEntries, treeFromFiles, type TreeEntry } from './git-tree.js';

const blob = (name: string): TreeEntry => ({ name, oid: memoryBlob(name).oid, type: 'blob', mode: BLOB_MODE });
const tree = (name: string): TreeEntry => ({ name, oid: hashObject('tree', new Uint8Array()), type: 'tree', mode: TREE_MODE });

describe('git trees in memory', () => {
  it('hashes a blob as git hash-object does', () => {
    const oid = execFileSync('git', ['hash-object', '--stdin'], { input: 'hello\n', encoding: 'utf8' }).trim();
    expect(memoryBlob('hello\n').oid).toBe(oid);
  });

  it('orders a directory as if its name ended in "/", as git does', () => {
    const entries = [tree('a'), blob('a0'), blob('a.yaml'), blob('A'), tree('b-c'), blob('b')];
    expect(sortEntries(entries).map((e) => e.name)).toEqual(['A', 'a.yaml', 'a', 'a0', 'b', 'b-c']);
  });

  it('hashes a tree as git mktree does', () => {
    const entries = sortEntries([tree('a'), blob('a0'), blob('a.yaml')]);
    const listing = entries.map((e) => `${e.mode} ${e.type} ${e.oid}\t${e.name}`).join('\n');
    const gitdir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    execFileSync('git', ['init', '-q', '--bare', gitdir]);
    const oid = execFileSync('git', ['--git-dir', gitdir, 'mktree', '--missing'], { input: `${listing}\n`, encoding: 'utf8' }).trim();
    execFileSync('rm', ['-rf', gitdir]);
    expect(hashObject('tree', encodeTree(entries))).toBe(oid);
  });

  it.each([
    ['inserts in order', 'a0', blob('a0'), ['a.yaml', 'a0', 'b']],
    ['replaces in place', 'b', blob('b'), ['a.yaml', 'b']],
    ['removes', 'b', null, ['a.yaml']],
  ])('replaceEntry %s', (_name, name, entry, expected) => {
    expect(replaceEntry([blob('a.yaml'), blob('b')], name, entry).map((e) => e.name)).toEqual(expected);
  });

  it('gives the same tree for the same files in any order', () => {
    const a = treeFromFiles(new Map([['x/1.yaml', '1'], ['y.yaml', '2']]));
    const b = treeFromFiles(new Map([['y.yaml', '2'], ['x/1.yaml', '1']]));
    expect(a.oid).toBe(b.oid);
  });

  it.each(['', '/abs.yaml', 'a//b', 'a/../b', './a', 'a/.git/config'])('refuses the path %j', (path) => {
    expect(() => treeFromFiles(new Map([[path, 'x']]))).toThrow('Not a relative file path');
  });

  it('refuses a path that is both a file and a directory', () => {
    expect(() => treeFromFiles(new Map([['a', 'x'], ['a/b', 'y']]))).toThrow();
  });
});
