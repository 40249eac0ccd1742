import type { Role, Store } from '@tuneboard/db';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv } from './env';
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
  run --project P [options] -- <command…> track any program as a run (see below)
  sync                                    deliver what \`tuneboard run\` could not (the API was down)
  schema show --project P [--team T]      a project's hyperparameter schema: kind, version, typed paths
  schema set --project P (--file schema.json | --kind builtin|inferred) [--team T]
                                          declare a JSON Schema (a changed document is a new version) or switch kind
  schema promote --project P [--team T]   make an inferred schema a declared one, written from what the runs taught it
  schema versions --project P [--team T]  the declared versions, newest first, with the runs each validated
  import tensorboard <logdir> --project P [--team T]
                                          import TensorBoard event files: scalars, and the HParams plugin's
                                          hyperparameters as a typed config; idempotent and resumable (run it
                                          again: finished runs are skipped, unfinished ones completed)
  import mlflow <mlruns | http://mlflow-server> [--project P] [--experiment E] [--team T]
                                          import an MLflow file store, or a tracking server over REST
                                          (MLFLOW_TRACKING_TOKEN, or _USERNAME and _PASSWORD): params typed,
                                          metrics, tags, status; one project per experiment (its name) unless
                                          --project; idempotent

tuneboard run --project P [--team T] [--config cfg.json] [--set path=value]... [--name N] [--tag T]...
              [--notes TEXT] [--override-reason TEXT] [--system-interval SECONDS] [--flush-timeout SECONDS]
              -- <command> [args…]
  Creates a run in project P (created with an inferred schema if missing) with the config (a JSON file, and/or
  --set overrides such as optimizer.lr=3e-4), runs the command, stores its output as the run's console log,
  takes metrics from JSON lines it prints ({"step": 10, "train/loss": 0.31}) or POSTs to TUNEBOARD_METRICS_URL,
  samples CPU, memory and GPUs (nvidia-smi) every --system-interval seconds (default 10; 0: off), and sets the
  status from the exit: 0 succeeded, non-zero failed, Ctrl-C or a stop signal cancelled; a run cancelled or pruned
  (early stopping) in Tuneboard stops the command (SIGTERM) and keeps that status. Exits with the command's
  exit code. The command gets TUNEBOARD_RUN_ID, TUNEBOARD_CONFIG (JSON), TUNEBOARD_CONFIG_FILE, TUNEBOARD_API_URL
  and TUNEBOARD_METRICS_URL. Everything is buffered on disk (TUNEBOARD_SPOOL_DIR, default ~/.tuneboard/spool)
  until the API has it; \`tuneboard sync\` delivers what was left when the API stayed unreachable.
  Needs TUNEBOARD_TOKEN; TUNEBOARD_API_URL defaults to http://127.0.0.1:$PORT/graphql.

Every other command prints JSON on stdout. The database is chosen as by the server:
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

// The server, the database and the account services load only for the commands that use them: `tuneboard run`
// starts in a fraction of the time.
const accounts = () => import('./services/accounts');

async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const env = readEnv();
  const { openStore } = await import('@tuneboard/db');
  const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: resolve(env.TUNEBOARD_DATA_DIR) });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The API client of the commands that talk to a running Tuneboard (run, sync). */
async function apiClient() {
  const env = readEnv();
  if (!env.TUNEBOARD_TOKEN) throw new UsageError('TUNEBOARD_TOKEN is required: create one in the dashboard (Tokens) or with `tuneboard token create`');
  const { TuneboardClient } = await import('@tuneboard/sdk');
  return new TuneboardClient({ url: env.TUNEBOARD_API_URL ?? `http://127.0.0.1:${env.PORT}/graphql`, token: env.TUNEBOARD_TOKEN });
}

/** A duration flag given in seconds, in milliseconds. */
const seconds = (value: string | undefined, flag: string, fallbackSeconds: number): number => {
  if (value === undefined) return fallbackSeconds * 1000;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86_400)
    throw new UsageError(`${flag} takes a number of seconds from 0 to 86400, not "${value}"`);
  return n * 1000;
};

/**
 * `tuneboard import tensorboard <logdir> --project P` and `tuneboard import mlflow <mlruns> [--project P]
 * [--experiment E]`: another tracker's runs, through the API, with a progress line per run on stderr.
 */
async function importCommand(args: string[], options: { project?: string; team?: string[]; experiment?: string }): Promise<unknown> {
  const [kind, source, ...rest] = args;
  if (kind !== 'tensorboard' && kind !== 'mlflow') throw new UsageError(`import takes a source kind: tensorboard or mlflow${kind ? `, not "${kind}"` : ''}`);
  if (!source) throw new UsageError(`give the ${kind === 'mlflow' ? 'MLflow store directory (mlruns)' : 'TensorBoard log directory'} to import`);
  if (rest.length > 0) throw new UsageError(`unexpected "${rest[0]}": import reads one directory`);
  const team = single(options.team, '--team');
  const fromServer = kind === 'mlflow' && /^https?:\/\//i.test(source);
  const { existsSync, statSync } = await import('node:fs');
  if (!fromServer && (!existsSync(source) || !statSync(source).isDirectory())) throw new UsageError(`${source} is not a directory`);
  const { importRuns, readMlflowFileStore, readMlflowServer, readTensorBoardLogdir } = await import('@tuneboard/sdk/import');
  // Each batch of runs goes into one project: the named one, or (MLflow) the experiment's name.
  let batches: { project: string; runs: ImportedRunList }[];
  if (kind === 'tensorboard') {
    if (options.experiment !== undefined) throw new UsageError('--experiment is for mlflow imports');
    batches = [{ project: required(options.project, '--project'), runs: readTensorBoardLogdir(source) }];
    if (batches[0]!.runs.length === 0) throw new UsageError(`no TensorBoard event files (events.out.tfevents.*) under ${source}`);
  } else {
    const env = readEnv();
    let experiments = fromServer
      ? await readMlflowServer(
          {
            url: source,
            ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
            ...(env.MLFLOW_TRACKING_USERNAME ? { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' } : {}),
          },
          options.experiment !== undefined ? { experiment: options.experiment } : {},
        )
      : readMlflowFileStore(source);
    if (options.experiment !== undefined) experiments = experiments.filter((e) => e.id === options.experiment || e.name === options.experiment);
    if (experiments.length === 0)
      throw new UsageError(
        `no MLflow experiment${options.experiment !== undefined ? ` "${options.experiment}"` : 's'} ${fromServer ? `on the server ${source}` : `(<id>/meta.yaml) under ${source}`}`,
      );
    for (const experiment of experiments)
      if (experiment.deleted.length > 0) process.stderr.write(`tuneboard: ${experiment.name}: ${experiment.deleted.length} deleted runs left out\n`);
    batches = experiments.map((experiment) => ({ project: options.project ?? experiment.name, runs: experiment.runs }));
  }
  for (const { runs } of batches) for (const run of runs) for (const problem of run.problems) process.stderr.write(`tuneboard: ${run.name}: ${problem}\n`);
  const tty = process.stderr.isTTY;
  const client = await apiClient();
  const summaries = [];
  for (const { project, runs } of batches) {
    const summary = await importRuns(client, {
      project,
      ...(team ? { team } : {}),
      kind,
      runs,
      onProgress: ({ done, total, run, outcome }) => {
        const line = `${project} [${done}/${total}] ${outcome}: ${run}`;
        process.stderr.write(tty ? `\r\x1b[2K${line}${done === total ? '\n' : ''}` : `${line}\n`);
      },
    });
    summaries.push({ project, ...summary });
  }
  return kind === 'tensorboard' ? summaries[0] : { projects: summaries };
}

type ImportedRunList = import('@tuneboard/sdk/import').ImportedRun[];

const SCHEMA_FIELDS = `id name hparamSchema { kind version paths { path type runs min max categories description unit scale } }`;

/** `tuneboard schema show|set|promote|versions`: a project's hyperparameter schema, through the API. */
async function schemaCommand(action: string, options: { project: string; team?: string; file?: string; kind?: string }): Promise<unknown> {
  const client = await apiClient();
  const project = await client.findProject(options.project, options.team);
  if (!project) throw new AccountError(`No project "${options.project}" in ${options.team ? `team ${options.team}` : 'your first team'}`);
  switch (action) {
    case 'show':
      return (await client.request<{ project: unknown }>(`query($p: ID!) { project(id: $p) { ${SCHEMA_FIELDS} } }`, { p: project.id })).project;
    case 'versions':
      return (
        await client.request<{ project: unknown }>(
          `query($p: ID!) { project(id: $p) { hparamSchemaVersions { version createdAt createdBy { email } runs document } } }`,
          { p: project.id },
        )
      ).project;
    case 'promote':
      return (
        await client.request<{ promoteInferredSchema: unknown }>(`mutation($p: ID!) { promoteInferredSchema(projectId: $p) { ${SCHEMA_FIELDS} } }`, {
          p: project.id,
        })
      ).promoteInferredSchema;
    default: {
      if ((options.file === undefined) === (options.kind === undefined))
        throw new UsageError('schema set takes --file schema.json (declared) or --kind builtin|inferred');
      let document: unknown = null;
      let kind = options.kind?.toUpperCase();
      if (options.file !== undefined) {
        const { readFile } = await import('node:fs/promises');
        let text: string;
        try {
          text = await readFile(options.file, 'utf8');
        } catch (error) {
          throw new AccountError(`Cannot read ${options.file}: ${(error as Error).message}`);
        }
        try {
          document = JSON.parse(text);
        } catch (error) {
          throw new AccountError(`${options.file} is not JSON: ${(error as Error).message}`);
        }
        kind = 'DECLARED';
      } else if (kind !== 'BUILTIN' && kind !== 'INFERRED')
        throw new UsageError(`--kind must be builtin or inferred (declare a schema with --file), not "${options.kind}"`);
      return (
        await client.request<{ setProjectSchema: unknown }>(
          `mutation($p: ID!, $k: HparamSchemaKind!, $s: JSON) { setProjectSchema(projectId: $p, kind: $k, schema: $s) { ${SCHEMA_FIELDS} } }`,
          { p: project.id, k: kind, s: document },
        )
      ).setProjectSchema;
    }
  }
}

/** `tuneboard run [options] -- <command…>`: returns the command's exit code. */
async function trackCommand(argv: string[]): Promise<number> {
  const dashes = argv.indexOf('--');
  if (dashes === -1) throw new UsageError('give the command to track after --, e.g. tuneboard run --project P -- python train.py');
  const command = argv.slice(dashes + 1);
  if (command.length === 0) throw new UsageError('the command after -- is missing');
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dashes),
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      team: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      name: { type: 'string' },
      tag: { type: 'string', multiple: true },
      notes: { type: 'string' },
      'override-reason': { type: 'string' },
      'system-interval': { type: 'string' },
      'flush-timeout': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected "${positionals[0]}" before --; options go before --, the command after it`);
  const project = required(values.project, '--project');
  const systemIntervalMs = seconds(values['system-interval'], '--system-interval', 10);
  const flushTimeoutMs = seconds(values['flush-timeout'], '--flush-timeout', 120);
  const { buildCommandConfig, runCommand, spoolRoot } = await import('@tuneboard/sdk/command');
  const configText = buildCommandConfig({ ...(values.config !== undefined ? { configPath: values.config } : {}), sets: values.set ?? [] });
  const result = await runCommand({
    client: await apiClient(),
    project,
    ...(values.team ? { team: values.team } : {}),
    configText,
    ...(values.name ? { name: values.name } : {}),
    ...(values.tag?.length ? { tags: values.tag } : {}),
    ...(values.notes ? { notes: values.notes } : {}),
    ...(values['override-reason'] ? { overrideReason: values['override-reason'] } : {}),
    command,
    spoolRoot: spoolRoot(),
    systemIntervalMs,
    flushTimeoutMs,
    handleSignals: true,
  });
  return result.exitCode;
}

async function run(argv: string[]): Promise<unknown> {
  if (argv[0] === 'run') return process.exit(await trackCommand(argv.slice(1)));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      team: { type: 'string', multiple: true },
      'team-id': { type: 'string' },
      'new-team': { type: 'boolean' },
      project: { type: 'string' },
      file: { type: 'string' },
      kind: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      experiment: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals[0] === 'import' && !values.help)
    return importCommand(positionals.slice(1), { project: values.project, team: values.team, experiment: values.experiment });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    console.log(USAGE);
    return undefined;
  }
  switch (command) {
    case 'start':
      await (await import('./main')).start();
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
    case 'sync': {
      const { spoolRoot, syncSpools } = await import('@tuneboard/sdk/command');
      const { runs } = await syncSpools(await apiClient(), spoolRoot());
      if (runs.some((r) => r.pending > 0)) process.exitCode = 1;
      return { runs };
    }
    case 'schema show':
    case 'schema set':
    case 'schema promote':
    case 'schema versions':
      return schemaCommand(command.slice('schema '.length), {
        project: required(values.project, '--project'),
        team: single(values.team, '--team'),
        file: values.file,
        kind: values.kind,
      });
    case 'admin bootstrap':
      return withStore(async (store) => (await accounts()).bootstrap(store, { email: values.email, team: single(values.team, '--team') }));
    case 'user create': {
      const role = values.role as Role | undefined;
      if (role && !['owner', 'member', 'viewer'].includes(role)) throw new UsageError(`--role must be owner, member or viewer, not "${role}"`);
      const team = single(values.team, '--team');
      const teamId = values['team-id'];
      if (team === undefined && teamId === undefined) throw new UsageError('--team (a new team) or --team-id (an existing one) is required');
      if (team !== undefined && teamId !== undefined) throw new UsageError('give either --team (a new team) or --team-id (an existing one), not both');
      if (values['new-team'] && team === undefined) throw new UsageError('--new-team goes with --team');
      const email = required(values.email, '--email');
      return withStore(async (store) =>
        (await accounts()).createUserWithToken(store, {
          email,
          ...(teamId !== undefined ? { teamId } : { team: team!, newTeam: values['new-team'] ?? false }),
          ...(role ? { role } : {}),
        }),
      );
    }
    case 'token create':
      return withStore(async (store) => {
        const email = required(values.email, '--email');
        const issued = await (await accounts()).issueTokenForEmail(store, email, values.name ?? 'cli');
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
  if (error instanceof Error && error.name === 'DataDirInUseError') {
    const inUse = error as Error & { dataDir: string; pid: number };
    console.error(
      `tuneboard: the embedded database in ${inUse.dataDir} is open in another process (pid ${inUse.pid}, most likely ` +
        `\`npm start\`). Only one process can open it at a time. Stop that process and run this command again, or do ` +
        `the same through the running API (an owner's createInvitation, which the person accepts; createToken), or use ` +
        `PostgreSQL (DATABASE_URL), which any number of processes can share.`,
    );
    process.exit(1);
  }
  // What the API refuses (a team a worker may not train for, a bad token, a bad config), an API that cannot be
  // reached, or an import source that cannot be read: one line, without a stack.
  const refusedByApi = error instanceof Error && (error.name === 'TuneboardError' || error.name === 'ImportSourceError');
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
