/**
 * The yardstick for the projects-list benchmark: the same SQL, served by a bare
 * Express + pg handler with no sessions, origin check or ORM.
 */
import express from 'express';
import pg from 'pg';
import { LIST_PROJECTS_SQL } from '../src/use-cases/projects.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const userId = process.env.BENCH_USER_ID ?? '';
const app = express();
app.get('/api/projects', async (_req, res) => {
  const { rows } = await pool.query<{ body: string }>(LIST_PROJECTS_SQL, [userId, 'bench1']);
  res.type('application/json').send(rows[0]?.body ?? '[]');
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write('is listening on\n');
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end();
});
