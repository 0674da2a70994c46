import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { pino } from 'pino';
import { serveGitCgi } from '../../src/http/routes/state-git.js';

const exec = promisify(execFile);

/** A real git server on loopback that accepts authenticated pushes: the state repo's remote in tests. */
export async function startGitServer(token: string, port = 0): Promise<{ url: string; repoDir: string; stop(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'dangus-remote-'));
  const repoDir = join(root, 'remote.git');
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', repoDir]);
  const app = express();
  app.use('/remote.git', (req, res) => {
    const basic = /^Basic (.+)$/i.exec(req.get('authorization') ?? '');
    const password = basic?.[1] ? Buffer.from(basic[1], 'base64').toString().split(':').slice(1).join(':') : '';
    if (password !== token) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="remote"').end();
      return;
    }
    serveGitCgi(req, res, { repoDir, logger: pino({ level: 'silent' }), remoteUser: 'pusher' });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/remote.git`,
    repoDir,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await rm(root, { recursive: true, force: true });
    },
  };
}
