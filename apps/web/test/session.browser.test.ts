// Issue 9 #6 and #7 against the built Next app and the real API, in Chromium and over plain HTTP: the browser
// never holds the long-lived token, the dashboard's /api routes serve only its own pages, and sign-in sends
// the browser only to paths on this site.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, startStack, type Stack } from './stack';

const BUILT = existsSync(resolve(import.meta.dirname, '../.next/BUILD_ID'));
const SESSION_COOKIE = 'tuneboard_session';

describe.skipIf(!BUILT || !existsSync(CHROMIUM_PATH))('the session in the browser', () => {
  let stack: Stack;
  let page: Page;
  let projectId: string;
  let runId: string;

  beforeAll(async () => {
    // No trainer: the run stays queued until the test cancels it.
    stack = await startStack({ workers: 0 });
    page = await stack.browser.newPage();
    projectId = (
      await stack.gql<{ createProject: { id: string } }>(`mutation($t: ID!) { createProject(teamId: $t, name: "spirals") { id } }`, { t: stack.teamId })
    ).createProject.id;
    runId = (
      await stack.gql<{ submitRun: { run: { id: string } } }>(`mutation($input: SubmitRunInput!) { submitRun(input: $input) { run { id } } }`, {
        input: {
          projectId,
          hparams: {
            dataset: { name: 'spirals', trainSize: 400, testSize: 100 },
            model: { kind: 'mlp', hiddenLayers: [8] },
            optimizer: { name: 'adam', learningRate: 0.01 },
            batchSize: 32,
            epochs: 1,
          },
        },
      })
    ).submitRun.run.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** `postedNext` replaces the form's hidden `next`, as a hand-made post to the action would. */
  async function signIn(token: string, next?: string, postedNext?: string): Promise<void> {
    await page.goto(`${stack.webUrl}/sign-in${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`);
    if (postedNext !== undefined) await page.locator('input[name="next"]').evaluate((input, value) => ((input as HTMLInputElement).value = value), postedNext);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  const sessionCookie = async () => (await stack.browser.cookies()).find((cookie) => cookie.name === SESSION_COOKIE);
  const asSession = (extra: Record<string, string> = {}) => ({ cookie: `${SESSION_COOKIE}=${stack.token}`, ...extra });

  it('#6 signed-in pages never give the browser the long-lived token; live updates still arrive over a ticket', async () => {
    await stack.browser.clearCookies();
    await signIn(stack.token);
    await page.waitForURL(`${stack.webUrl}/projects`);
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    // The HTML and the RSC payload of every signed-in page, as the browser gets them.
    for (const path of [
      '/projects',
      `/projects/${projectId}`,
      `/projects/${projectId}/submit`,
      `/projects/${projectId}/compare?runs=${runId}`,
      `/projects/${projectId}/findings`,
      `/runs/${runId}`,
      '/tokens',
    ]) {
      for (const rsc of [false, true]) {
        const headers = asSession(rsc ? { rsc: '1' } : {});
        let response = await fetch(`${stack.webUrl}${path}`, { headers, redirect: 'manual' });
        // Next answers an RSC request without its cache-busting `_rsc` parameter with a redirect to the URL with it.
        const location = response.headers.get('location');
        if (rsc && response.status === 307 && location && !location.startsWith('/sign-in'))
          response = await fetch(new URL(location, stack.webUrl), { headers, redirect: 'manual' });
        const body = await response.text();
        expect(response.status, `${path} rsc=${rsc} → ${response.headers.get('location')}`).toBe(200);
        expect(body, `${path} rsc=${rsc}`).toContain('Sign out');
        expect(body.includes(stack.token), `${path} rsc=${rsc} holds the token`).toBe(false);
        expect(body.includes(stack.token.slice(3, 20)), `${path} rsc=${rsc} holds part of the token`).toBe(false);
      }
    }

    // The live run page: its socket authenticates with a ticket, and the cancel made elsewhere arrives over it.
    const connectionInits: string[] = [];
    let subscribed!: () => void;
    const subscribedOnce = new Promise<void>((resolveSubscribed) => (subscribed = resolveSubscribed));
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; payload?: { authorization?: string } };
        if (message.type === 'connection_init') connectionInits.push(message.payload?.authorization ?? '');
        if (message.type === 'subscribe') subscribed();
      }),
    );
    await page.goto(`${stack.webUrl}/runs/${runId}`);
    await page.getByTestId('run-status').filter({ hasText: 'queued' }).waitFor();
    await subscribedOnce;
    // graphql-ws does not acknowledge a subscribe; give the API a moment to register it.
    await new Promise((r) => setTimeout(r, 1_500));
    await stack.gql(`mutation($id: ID!) { cancelRun(runId: $id) { id } }`, { id: runId });
    await page.getByTestId('run-status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 15_000 });
    expect(connectionInits).toHaveLength(1);
    expect(connectionInits[0]).toMatch(/^Bearer tb_/);
    expect(connectionInits[0]).not.toContain(stack.token);

    // Nothing the page's JavaScript can read holds it.
    const readable = await page.evaluate(
      () => document.cookie + document.documentElement.outerHTML + JSON.stringify(localStorage) + JSON.stringify(sessionStorage),
    );
    expect(readable.includes(stack.token)).toBe(false);
  });

  it('#6 the dashboard API routes serve only its own pages, and a ticket opens subscriptions only', async () => {
    const query = JSON.stringify({ query: '{ viewer { email } }' });
    const post = (path: string, headers: Record<string, string>, body = query) => fetch(`${stack.webUrl}${path}`, { method: 'POST', headers, body });
    const json = { 'content-type': 'application/json' };

    const own = await post('/api/graphql', asSession({ ...json, origin: stack.webUrl, 'sec-fetch-site': 'same-origin' }));
    expect(own.status).toBe(200);
    expect(((await own.json()) as { data: { viewer: { email: string } } }).data.viewer.email).toBe('admin@localhost');

    expect((await post('/api/graphql', asSession({ ...json, origin: 'http://evil.example' }))).status).toBe(403);
    expect((await post('/api/graphql', asSession({ ...json, 'sec-fetch-site': 'cross-site' }))).status).toBe(403);
    expect((await post('/api/graphql', asSession({ ...json, 'sec-fetch-site': 'same-site' }))).status).toBe(403);
    // A form post (what a cross-site page can send without a preflight) is refused for its content type.
    expect((await post('/api/graphql', asSession({ 'content-type': 'text/plain' }))).status).toBe(415);
    expect((await post('/api/graphql', json)).status).toBe(401);
    expect((await fetch(`${stack.webUrl}/api/graphql`, { headers: asSession() })).status).toBe(405);

    expect((await post('/api/subscription-ticket', asSession({ ...json, origin: 'http://evil.example' }), '{}')).status).toBe(403);
    const minted = await post('/api/subscription-ticket', asSession({ ...json, origin: stack.webUrl }), '{}');
    expect(minted.status).toBe(200);
    const ticket = ((await minted.json()) as { data: { createSubscriptionTicket: { token: string } } }).data.createSubscriptionTicket.token;
    expect(ticket).not.toBe(stack.token);
    const overHttp = await fetch(stack.apiUrl, { method: 'POST', headers: { ...json, authorization: `Bearer ${ticket}` }, body: query });
    expect(overHttp.status).toBe(401);

    // A ticket dies with the token it was minted from.
    const session = (
      await stack.gql<{ createToken: { token: string; apiToken: { id: string } } }>(`mutation { createToken(name: "laptop") { token apiToken { id } } }`)
    ).createToken;
    const minted2 = await post('/api/subscription-ticket', { ...json, cookie: `${SESSION_COOKIE}=${session.token}` }, '{}');
    const orphan = ((await minted2.json()) as { data: { createSubscriptionTicket: { token: string } } }).data.createSubscriptionTicket.token;
    await stack.gql(`mutation($id: ID!) { revokeToken(id: $id) { id } }`, { id: session.apiToken.id });
    const wsUrl = stack.apiUrl.replace(/^http/, 'ws');
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${orphan}` }, retryAttempts: 0 });
    const outcome = await new Promise<unknown>((resolveOutcome) =>
      client.subscribe(
        { query: `subscription($id: ID!) { runEvents(runId: $id) { kind } }`, variables: { id: runId } },
        { next: () => resolveOutcome('event'), error: resolveOutcome, complete: () => resolveOutcome('complete') },
      ),
    );
    await client.dispose();
    expect((outcome as { code?: number }).code).toBe(4403);
  });

  it('#6 the session cookie is Secure when the dashboard is reached over HTTPS', async () => {
    await stack.browser.clearCookies();
    const setCookies: string[] = [];
    const onResponse = async (response: import('playwright-core').Response) => {
      const value = await response.headerValue('set-cookie');
      if (value?.includes(SESSION_COOKIE)) setCookies.push(value);
    };
    page.on('response', onResponse);
    try {
      // What a TLS-terminating proxy in front of the dashboard adds.
      await page.setExtraHTTPHeaders({ 'x-forwarded-proto': 'https' });
      await signIn(stack.token);
      await page.waitForURL(`${stack.webUrl}/projects`);
    } finally {
      await page.setExtraHTTPHeaders({});
      page.off('response', onResponse);
    }
    expect(setCookies).toHaveLength(1);
    expect(setCookies[0]).toMatch(/;\s*Secure/i);
    expect(setCookies[0]).toMatch(/;\s*HttpOnly/i);
    expect(setCookies[0]).toMatch(/;\s*SameSite=Lax/i);
  });

  it('#13 each browser behind the dashboard is its own address at the API: stale cookies of one throttle no one else', async () => {
    const post = (token: string, browser: string) =>
      fetch(`${stack.webUrl}/api/graphql`, {
        method: 'POST',
        // x-forwarded-for: what a reverse proxy in front of the dashboard says about each browser.
        headers: { cookie: `${SESSION_COOKIE}=${token}`, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', 'x-forwarded-for': browser },
        body: JSON.stringify({ query: '{ viewer { email } }' }),
      });
    for (let i = 0; i < 21; i++) await post(`tb_stale_${i}`, '198.51.100.7');
    expect((await post('tb_stale_21', '198.51.100.7')).status).toBe(429);
    // A token the API has never seen, from another browser through the same dashboard, still works.
    const fresh = (await stack.gql<{ createToken: { token: string } }>(`mutation { createToken(name: "other browser") { token } }`)).createToken.token;
    const answer = await post(fresh, '198.51.100.8');
    expect(answer.status).toBe(200);
  });

  it('#7 sign-in sends the browser only to paths on this site', async () => {
    for (const next of ['/\\evil.example/', '/\t/evil.example/', '//evil.example/', 'https://evil.example/', 'javascript:alert(1)']) {
      // The form does not even carry it…
      const html = await (await fetch(`${stack.webUrl}/sign-in?next=${encodeURIComponent(next)}`)).text();
      expect(html, JSON.stringify(next)).toMatch(/name="next" value="\/projects"/);
      // …and the sign-in action sends the browser to this site even when the post carries it.
      await stack.browser.clearCookies();
      await signIn(stack.token, undefined, next);
      await page.waitForURL(`${stack.webUrl}/projects`);
    }
    await stack.browser.clearCookies();
    await signIn(stack.token, `/projects/${projectId}/findings?x=1`);
    await page.waitForURL(`${stack.webUrl}/projects/${projectId}/findings?x=1`);
  });
});
