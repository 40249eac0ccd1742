import { DataDirInUseError, openStore, type Role, type Store } from '@tuneboard/db';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv } from './env';
import { start } from './main';
import { bootstrap, createUserWithToken, issueTokenForEmail } from './services/accounts';
import { isDomainError } from './services/errors';

const USAGE = `Usage: tuneboard <command> [options]

Commands:
  start                                   migrate the database, bootstrap it when empty, serve the API
                                          and TUNEBOARD_WORKERS (default 1) local trainer workers
  worker [--name N] [--team ID]...        claim queued runs from the API and train them, only of the teams
                                          named (--team, repeatable, or TUNEBOARD_WORKER_TEAMS, comma-
                                          separated ids; default: the token's user's teams at start)
                                          (TUNEBOARD_API_URL, TUNEBOARD_TOKEN; TUNEBOARD_BACKEND to force one)
  admin bootstrap [--email E] [--team T]  create the first user, team and owner token (empty database only)
  user create --email E (--team NAME [--new-team] | --team-id ID) [--role owner|member|viewer]
                                          create a user (or take the existing one) and print a token for them:
                                          --team creates a new team NAME owned by the user, and is refused
                                          when teams of that name exist (names are not unique; add
                                          --new-team to create one more); --team-id adds the user to that
                                          existing team (default role member)
  token create --email E [--name N]       print a new API token for an existing user

Every command prints JSON on stdout. The database is chosen as by the server:
DATABASE_URL (PostgreSQL) when set, else the embedded store in TUNEBOARD_DATA_DIR (default ./.tuneboard/data).`;

class UsageError extends Error {}
/** A command that cannot do what was asked (not a misuse of the CLI): one line on stderr, exit 1. */
class AccountError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

/** A flag that may be repeated for some commands (`worker --team`) but not for this one. */
function single(values: string[] | undefined, flag: string): string | undefined {
  if (values && values.length > 1) throw new UsageError(`${flag} may be given once here`);
  return values?.[0];
}

async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const env = readEnv();
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: resolve(env.TUNEBOARD_DATA_DIR) });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function run(argv: string[]): Promise<unknown> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      team: { type: 'string', multiple: true },
      'team-id': { type: 'string' },
      'new-team': { type: 'boolean' },
      role: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    console.log(USAGE);
    return undefined;
  }
  switch (command) {
    case 'start':
      await start();
      return undefined;
    case 'worker': {
      const env = readEnv();
      if (!env.TUNEBOARD_TOKEN) throw new UsageError('TUNEBOARD_TOKEN is required: the worker claims runs with that user’s token');
      // Loaded only here: the trainer brings TensorFlow.js, which the API process does not need.
      const { runWorker } = await import('@tuneboard/worker');
      const { TuneboardClient } = await import('@tuneboard/sdk');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      // Started by `tuneboard start`: leave with the server rather than outlive it as an orphan.
      if (process.send) process.once('disconnect', () => process.exit(0));
      const client = new TuneboardClient({ url: env.TUNEBOARD_API_URL ?? `http://127.0.0.1:${env.PORT}/graphql`, token: env.TUNEBOARD_TOKEN });
      const teamIds = values.team?.length ? values.team : env.TUNEBOARD_WORKER_TEAMS;
      await runWorker({ client, signal: stop.signal, ...(values.name ? { name: values.name } : {}), ...(teamIds?.length ? { teamIds } : {}) });
      // Its run is handed back by now. Leave at once: the IPC channel to `tuneboard start` and the metric
      // buffer's retries of the released run would otherwise keep the process (and so the API's shutdown) waiting.
      return process.exit(0);
    }
    case 'admin bootstrap':
      return withStore((store) => bootstrap(store, { email: values.email, team: single(values.team, '--team') }));
    case 'user create': {
      const role = values.role as Role | undefined;
      if (role && !['owner', 'member', 'viewer'].includes(role)) throw new UsageError(`--role must be owner, member or viewer, not "${role}"`);
      const team = single(values.team, '--team');
      const teamId = values['team-id'];
      if (team === undefined && teamId === undefined) throw new UsageError('--team (a new team) or --team-id (an existing one) is required');
      if (team !== undefined && teamId !== undefined) throw new UsageError('give either --team (a new team) or --team-id (an existing one), not both');
      if (values['new-team'] && team === undefined) throw new UsageError('--new-team goes with --team');
      const email = required(values.email, '--email');
      return withStore((store) =>
        createUserWithToken(store, {
          email,
          ...(teamId !== undefined ? { teamId } : { team: team!, newTeam: values['new-team'] ?? false }),
          ...(role ? { role } : {}),
        }),
      );
    }
    case 'token create':
      return withStore(async (store) => {
        const email = required(values.email, '--email');
        const issued = await issueTokenForEmail(store, email, values.name ?? 'cli');
        if (!issued) throw new AccountError(`No user with the email ${email}; create one with \`tuneboard user create\``);
        return issued;
      });
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

try {
  const output = await run(process.argv.slice(2));
  if (output !== undefined) console.log(JSON.stringify(output, null, 2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`tuneboard: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof DataDirInUseError) {
    console.error(
      `tuneboard: the embedded database in ${error.dataDir} is open in another process (pid ${error.pid}, most likely ` +
        `\`npm start\`). Only one process can open it at a time. Stop that process and run this command again, or do ` +
        `the same through the running API (an owner's createInvitation, which the person accepts; createToken), or use ` +
        `PostgreSQL (DATABASE_URL), which any number of processes can share.`,
    );
    process.exit(1);
  }
  // A worker the API refuses (a team it may not train for, a bad token) says why in one line, without a stack.
  const refusedByApi = error instanceof Error && error.name === 'TuneboardError' && (error as Error & { retryable?: boolean }).retryable === false;
  // What a service refuses (a taken team name, an invalid e-mail, users already there) is the CLI's answer too.
  if (isDomainError(error)) {
    console.error(`tuneboard: ${error.message.replace(/\s*\n\s*/g, ' ')}`);
    process.exit(1);
  }
  if (error instanceof AccountError || refusedByApi || (error instanceof Error && error.message.startsWith('Invalid Tuneboard configuration'))) {
    console.error(`tuneboard: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
