#!/usr/bin/env node
// `npm start`: build the dashboard (cached by turbo), then run the API (with its local trainer workers) and the
// dashboard as children of this one process, wired to each other.
//
// Why not `turbo run start`: turbo does not pass SIGTERM on to the tasks it runs, so a process supervisor or
// `docker stop` (which signal the main process, not its group) left the API, the worker and the dashboard
// running as orphans that held the ports and the data directory. Here every child gets the signal, and this
// process exits only when all of them have stopped (the worker hands back its run, the API drains).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'apps/web/package.json'));
/** How long the children get to stop before they are killed. */
const STOP_GRACE_MS = 30_000;

let stopping = false;
let exitCode = 0;
const children = new Map();

function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill(signal);
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, STOP_GRACE_MS).unref();
}

// Installed before anything starts, so a signal during the build stops it too.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    exitCode = 128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal];
    stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}

function run(name, command, args, options) {
  const child = spawn(command, args, { stdio: 'inherit', ...options });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      // One part stopped on its own: Tuneboard is not usable without it, so stop the rest and say why.
      console.error(`tuneboard: the ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      exitCode = code || 1;
      stopAll('SIGTERM');
    }
    if (children.size === 0) process.exit(exitCode);
  });
  return child;
}

// The dashboard's production build; turbo replays it from its cache when nothing changed.
const build = spawn(process.execPath, [require.resolve('turbo/bin/turbo'), 'run', 'build', '--filter=@tuneboard/web', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
});
children.set('dashboard build', build);
build.on('exit', (code, signal) => {
  children.delete('dashboard build');
  if (stopping) process.exit(exitCode);
  if (code !== 0) {
    console.error(`tuneboard: building the dashboard failed (${signal ?? `code ${code}`})`);
    process.exit(code || 1);
  }
  const env = { ...process.env };
  const apiHost = env.HOST && env.HOST !== '0.0.0.0' && env.HOST !== '::' ? env.HOST : '127.0.0.1';
  // The dashboard calls the API this process starts, whatever port it was given.
  env.TUNEBOARD_API_URL ??= `http://${apiHost.includes(':') ? `[${apiHost}]` : apiHost}:${env.PORT || '4000'}/graphql`;
  env.TUNEBOARD_DATA_DIR ??= join(root, '.tuneboard/data');
  run('API', process.execPath, [join(root, 'apps/api/bin/tuneboard.mjs'), 'start'], { cwd: join(root, 'apps/api'), env });
  run(
    'dashboard',
    process.execPath,
    [require.resolve('next/dist/bin/next'), 'start', '--port', env.WEB_PORT || '3000', '--hostname', env.WEB_HOST || '127.0.0.1'],
    { cwd: join(root, 'apps/web'), env },
  );
});
