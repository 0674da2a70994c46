import { spawn, type ChildProcess } from 'node:child_process';

/** Starts `node …args` with `env` added, resolving once it logs that it is listening. */
export async function startListeningProcess(args: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('is listening on')) resolve();
      if (output.length > 100_000) output = output.slice(-1000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${output}`)));
  });
  return child;
}
