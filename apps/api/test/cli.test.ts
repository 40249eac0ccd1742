import { createTestDatabase } from '@tuneboard/db/testing';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cliJson, graphql, killAllChildren, makeTempDir, runCli, startServerProcess, withDeadline } from './process-harness';

/** The `tuneboard` CLI as users run it: a separate process on the same database as the server. */

interface CreatedUser {
  user: { id: string; email: string };
  team: { id: string; name: string };
  token: string;
}

const VIEWER = `{ viewer { email teams { name role } } }`;

afterEach(killAllChildren);

describe('tuneboard CLI on the embedded store', () => {
  const dir = makeTempDir('cli');
  const env = { TUNEBOARD_DATA_DIR: join(dir.path, 'data') };
  afterAll(async () => {
    await killAllChildren();
    dir.remove();
  });

  // One data directory for the whole sequence, as an administrator would use it.
  let adminToken = '';
  let researcherToken = '';
  let researchTeamId = '';

  it('bootstraps an empty installation once', { timeout: 60_000 }, async () => {
    const created = cliJson<CreatedUser>(await runCli(['admin', 'bootstrap'], env));
    expect(created.user.email).toBe('admin@localhost');
    expect(created.team.name).toBe('default');
    expect(created.token).toMatch(/^tb_\S{20,}$/);
    adminToken = created.token;

    const again = await runCli(['admin', 'bootstrap', '--email', 'other@x.io'], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('already has users');
    expect(again.stderr).toContain('tuneboard user create');
  });

  it('creates users with tokens and refuses unknown users and bad roles', { timeout: 90_000 }, async () => {
    const created = cliJson<CreatedUser>(await runCli(['user', 'create', '--email', 'a@x.io', '--team', 'research'], env));
    expect(created.user.email).toBe('a@x.io');
    expect(created.team.name).toBe('research');
    expect(created.token).toMatch(/^tb_/);
    researcherToken = created.token;
    researchTeamId = created.team.id;

    const unknown = await runCli(['token', 'create', '--email', 'nobody@x.io'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('No user with the email nobody@x.io');

    const badRole = await runCli(['user', 'create', '--email', 'b@x.io', '--team', 'research', '--role', 'admin'], env);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role must be owner, member or viewer, not "admin"');
    expect(badRole.stderr).toContain('Usage: tuneboard <command>');

    const missingTeam = await runCli(['user', 'create', '--email', 'b@x.io'], env);
    expect(missingTeam.code).toBe(2);
    expect(missingTeam.stderr).toContain('--team (a new team) or --team-id (an existing one) is required');

    // What the accounts service refuses is said in one line, without a stack, as the API would say it.
    const badEmail = await runCli(['user', 'create', '--email', 'not-an-address', '--team', 'research'], env);
    expect(badEmail.code).toBe(1);
    expect(badEmail.stdout).toBe('');
    expect(badEmail.stderr).toContain('tuneboard: "not-an-address" is not an email address\n');
    expect(badEmail.stderr).not.toMatch(/^\s+at /m);
  });

  it('issues tokens that a server started later on the data directory accepts', { timeout: 120_000 }, async () => {
    const server = await startServerProcess(env);
    // The CLI bootstrapped, so the server must not bootstrap again.
    expect(server.banner()).not.toContain('First start');
    expect(existsSync(join(dir.path, 'admin-token.json'))).toBe(false);

    expect((await graphql(server.url, researcherToken, VIEWER)).viewer).toEqual({ email: 'a@x.io', teams: [{ name: 'research', role: 'OWNER' }] });
    expect((await graphql(server.url, adminToken, VIEWER)).viewer).toEqual({ email: 'admin@localhost', teams: [{ name: 'default', role: 'OWNER' }] });
    await server.stop();
  });

  it('fails fast while a server holds the data directory, and damages nothing', { timeout: 120_000 }, async () => {
    const server = await startServerProcess(env);
    const { viewer } = await graphql(
      server.url,
      researcherToken,
      `
        {
          viewer {
            teams {
              id
            }
          }
        }
      `,
    );
    const { createProject } = await graphql(
      server.url,
      researcherToken,
      `
        mutation ($t: ID!) {
          createProject(teamId: $t, name: "before") {
            id
          }
        }
      `,
      {
        t: viewer.teams[0].id,
      },
    );

    const blocked = await runCli(['user', 'create', '--email', 'c@x.io', '--team', 'research'], env, 20_000);
    expect(blocked.code).toBe(1);
    expect(blocked.durationMs).toBeLessThan(10_000);
    expect(blocked.stdout).toBe('');
    expect(blocked.stderr).toContain('is open in another process');
    expect(blocked.stderr).toContain(`pid ${server.pid}`);

    // The server is unaffected and its data intact.
    const health = await withDeadline(fetch(new URL('/healthz', server.url)), 10_000, '/healthz');
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const { project } = await graphql(
      server.url,
      researcherToken,
      `
        query ($id: ID!) {
          project(id: $id) {
            name
          }
        }
      `,
      { id: createProject.id },
    );
    expect(project).toEqual({ name: 'before' });
    await server.stop();
    expect(existsSync(join(env.TUNEBOARD_DATA_DIR, 'tuneboard.lock')), 'a graceful stop releases the lock').toBe(false);

    // The refused command wrote nothing: c@x.io does not exist until the CLI runs again, now successfully.
    const unknown = await runCli(['token', 'create', '--email', 'c@x.io'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user with the email c@x.io');
    const created = cliJson<CreatedUser>(await runCli(['user', 'create', '--email', 'c@x.io', '--team-id', researchTeamId, '--role', 'viewer'], env));
    const issued = cliJson<{ token: string; name: string }>(await runCli(['token', 'create', '--email', 'c@x.io', '--name', 'laptop'], env));
    expect(issued.name).toBe('laptop');

    const restarted = await startServerProcess(env);
    for (const token of [created.token, issued.token])
      expect((await graphql(restarted.url, token, VIEWER)).viewer).toEqual({ email: 'c@x.io', teams: [{ name: 'research', role: 'VIEWER' }] });
    const { project: kept } = await graphql(
      restarted.url,
      researcherToken,
      `
        query ($id: ID!) {
          project(id: $id) {
            name
          }
        }
      `,
      { id: createProject.id },
    );
    expect(kept).toEqual({ name: 'before' });
    await restarted.stop();
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('tuneboard CLI on PostgreSQL', () => {
  const dir = makeTempDir('cli-pg');
  let drop = async () => {};
  afterAll(async () => {
    await killAllChildren();
    await drop();
    dir.remove();
  });

  it('runs while a server uses the same database', { timeout: 120_000 }, async () => {
    const database = await createTestDatabase(process.env.TEST_DATABASE_URL!);
    drop = database.drop;
    // TUNEBOARD_DATA_DIR points at an empty directory to show that PostgreSQL, not an embedded store, is used.
    const env = { DATABASE_URL: database.url, TUNEBOARD_DATA_DIR: join(dir.path, 'unused') };

    const server = await startServerProcess(env);
    expect(server.banner()).toContain('Database         PostgreSQL');
    const firstToken = /^\s+(tb_\S+)$/m.exec(server.banner())?.[1];
    expect(firstToken, 'the first start prints the owner token').toBeDefined();

    const created = cliJson<CreatedUser>(await runCli(['user', 'create', '--email', 'p@x.io', '--team', 'research'], env));
    const issued = cliJson<{ token: string }>(await runCli(['token', 'create', '--email', 'admin@localhost'], env));
    const again = await runCli(['admin', 'bootstrap'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has users');

    // The running server sees what the CLI wrote, at once.
    expect((await graphql(server.url, created.token, VIEWER)).viewer).toEqual({ email: 'p@x.io', teams: [{ name: 'research', role: 'OWNER' }] });
    expect((await graphql(server.url, issued.token, VIEWER)).viewer).toEqual({ email: 'admin@localhost', teams: [{ name: 'default', role: 'OWNER' }] });
    expect((await graphql(server.url, firstToken!, VIEWER)).viewer.email).toBe('admin@localhost');
    expect(existsSync(env.TUNEBOARD_DATA_DIR)).toBe(false);
    await server.stop();
  });
});

/**
 * `npm start` and Ctrl-C (or a container's SIGTERM) must stop the server promptly and cleanly. The children above
 * inherit vitest's NODE_ENV=test; here NODE_ENV is unset, as when users run Tuneboard.
 */
describe('tuneboard start shuts down on SIGTERM as users run it', () => {
  const dir = makeTempDir('shutdown');
  afterAll(async () => {
    await killAllChildren();
    dir.remove();
  });

  it('on the embedded store', { timeout: 60_000 }, async () => {
    const env = { NODE_ENV: undefined, TUNEBOARD_DATA_DIR: join(dir.path, 'data') };
    const server = await startServerProcess(env);
    // Generous for a loaded 2-core CI machine (closing PGlite checkpoints); a hang still fails.
    await server.stop(15_000);
    expect(existsSync(join(env.TUNEBOARD_DATA_DIR, 'tuneboard.lock'))).toBe(false);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('on PostgreSQL', { timeout: 60_000 }, async () => {
    const database = await createTestDatabase(process.env.TEST_DATABASE_URL!);
    try {
      const server = await startServerProcess({ NODE_ENV: undefined, DATABASE_URL: database.url, TUNEBOARD_DATA_DIR: join(dir.path, 'unused') });
      await server.stop(15_000);
    } finally {
      await killAllChildren();
      await database.drop();
    }
  });
});
