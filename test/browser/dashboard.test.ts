/**
 * The dashboard in a real browser (Debian's headless Chromium via playwright-core),
 * against the real local server on the emulators `npm test` starts: pipelines are
 * submitted and run through the API (a worker checking in), and the pages must show
 * what the API says. Screenshots go to build/screenshots (docs/screenshots with
 * `npm run screenshots`). Skipped, saying why, only when /usr/bin/chromium is absent.
 */
import {strict as assert} from 'assert';
import type {Page} from 'playwright-core';
import {LocalServer} from '../../src/server';
import {rmSync} from 'fs';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {TestCallers, bearer, makeTestCallers} from '../helpers/tokens';
import {Browser, browserMissing, launchBrowser, screenshot} from './browser';

/*
 * What functions evaluated in the page use. The Node program has no DOM library, and
 * these declarations are local to this module.
 */
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): {length: number};
};
declare const window: Record<string, unknown>;
declare const sessionStorage: {getItem(key: string): string | null};
declare function getComputedStyle(element: PageElement): {outlineStyle: string};

type Json = Record<string, unknown>;
interface EventJson {
  timestamp: string;
  description: string;
  details: Json;
}
interface OperationJson {
  name: string;
  done?: boolean;
  error?: {code: number; message: string};
  metadata: {events: EventJson[]; createTime: string; startTime?: string; endTime?: string};
}
const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const LIVE_TIMEOUT_MS = 20_000;
/** n GiB, as an int64 JSON string. */
const gib = (n: number) => String(n * 2 ** 30);
/** [free, total] GiB of a disk, as a DiskStatus. */
const disk = ([free, total]: [number, number]) => ({freeSpaceBytes: gib(free), totalSpaceBytes: gib(total)});

/** A v2alpha1 WorkerStatus: RAM and disks as [free, total] GiB, uptime in seconds. */
function workerStatus(ram: [number, number], uptimeSeconds: number, bootDisk?: [number, number], attachedDisks?: Record<string, [number, number]>): Json {
  return {
    freeRamBytes: gib(ram[0]),
    totalRamBytes: gib(ram[1]),
    uptimeSeconds: String(uptimeSeconds),
    ...(bootDisk ? {bootDisk: disk(bootDisk)} : {}),
    ...(attachedDisks ? {attachedDisks: Object.fromEntries(Object.entries(attachedDisks).map(([name, d]) => [name, disk(d)]))} : {}),
  };
}

describe('dashboard (browser)', function () {
  this.timeout(120_000);
  const missing = browserMissing();
  let server: LocalServer;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (missing) {
      console.log(`      skipping the browser tests: ${missing}`);
      this.skip();
    }
    // Development mode, as `npm start` runs for one person: loopback callers may do everything.
    // The viewer's test below runs on a Gaffer that authenticates callers for real.
    server = await startGaffer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    page.on('pageerror', err => console.error('      [page error]', err.message));
  });
  afterEach(async () => {
    await page?.close();
  });

  const dashboard = (path: string, query: Record<string, string>) => `${server.url}/dashboard/${path}?${new URLSearchParams(query)}`;

  async function run(request: Json): Promise<OperationJson> {
    const res = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json as unknown as OperationJson;
  }
  const get = async (name: string, token?: string) =>
    (await call(server, 'GET', `/v2alpha1/${name}`, undefined, token ? {Authorization: `Bearer ${token}`} : {}))
      .json as unknown as OperationJson;
  async function checkIn(project: string, worker: string, body: Json = {}): Promise<Json> {
    const res = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, body);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json;
  }
  /** A health report from `worker` (WorkerMessages), sent now. */
  async function reportHealth(project: string, worker: string, report: Json): Promise<void> {
    const res = await call(server, 'POST', `/v1b3/projects/${project}/WorkerMessages`, {
      workerMessages: [{labels: {WORKER_ID: worker}, time: new Date().toISOString(), workerHealthReport: report}],
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
  }
  const rows = (p: Page) => p.locator('table.operations tbody tr');
  async function listed(p: Page): Promise<string[]> {
    await p.locator('table.operations[data-state="ready"]').waitFor();
    return rows(p).evaluateAll(trs => trs.map(tr => tr.getAttribute('data-operation') ?? ''));
  }
  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

  function twoActions(project: string, labels: Record<string, string>): Json {
    return {
      pipeline: {
        actions: [
          {imageUri: 'busybox:1.36', commands: ['sh', '-c', 'echo "hello world"']},
          {imageUri: 'alpine:3.20', commands: ['sh', '-c', 'exit 3'], environment: {STEP: 'two'}},
        ],
        resources: {projectId: project, regions: ['us-central1']},
      },
      labels,
    };
  }

  /** A worker takes one of the oldest queued operations (FIFO within a small window): its name. */
  async function assign(project: string, worker: string): Promise<string> {
    const res = await checkIn(project, worker, {workerStatus: workerStatus([3, 8], 3600, [20, 50])});
    const assigned = (res.features as {operation?: string} | undefined)?.operation;
    assert.ok(assigned, `worker ${worker} got no operation: ${JSON.stringify(res)}`);
    return assigned;
  }

  /** A worker takes an operation, reports `events` (at ms after now), then `result`: its name. */
  async function work(project: string, worker: string, events: Array<{at: number; data: Json}>, result: Json): Promise<string> {
    const name = await assign(project, worker);
    const t0 = Date.now();
    const last = Math.max(0, ...events.map(e => e.at));
    if (events.length)
      await checkIn(project, worker, {events: events.map(e => ({timestamp: new Date(t0 + e.at).toISOString(), data: e.data}))});
    await sleep(Math.max(0, t0 + last + 100 - Date.now()));
    await checkIn(project, worker, {result});
    return name;
  }

  it('lists what was submitted, with status and labels', async () => {
    const project = randomProject('dash');
    const ops = [];
    for (const color of ['red', 'blue', 'red']) ops.push(await run(helloRequest(project, {color, suite: 'browser'})));
    await page.goto(dashboard('', {project}));
    assert.deepEqual(await listed(page), ops.map(op => op.name).reverse(), 'newest first, as the API lists them');
    const first = rows(page).first();
    assert.equal(await first.getAttribute('data-status'), 'QUEUED');
    assert.deepEqual(await first.locator('.labels li').allTextContents(), ['color=red', 'suite=browser']);
    assert.match(await page.title(), new RegExp(project));

    // Another project, chosen in the header's box: the URL and the list follow.
    const other = randomProject('dash');
    const elsewhere = await run(helloRequest(other));
    await page.locator('#project').fill(other);
    await page.keyboard.press('Enter');
    await page.waitForURL(url => url.searchParams.get('project') === other);
    await page.waitForFunction(() => document.querySelectorAll('table.operations tbody tr').length === 1);
    assert.deepEqual(await listed(page), [elsewhere.name]);
  });

  it('narrows the list with the filter (Enter submits) and shows the server’s words for a bad filter', async () => {
    const project = randomProject('dash');
    const red = await run(helloRequest(project, {color: 'red'}));
    const blue = await run(helloRequest(project, {color: 'blue'}));
    await page.goto(dashboard('', {project}));
    assert.equal((await listed(page)).length, 2);

    // Keyboard only: focus the filter, type, Enter.
    await page.locator('#filter').focus();
    await page.keyboard.type('labels.color = red');
    await page.keyboard.press('Enter');
    await page.waitForURL(url => url.searchParams.get('filter') === 'labels.color = red');
    await page.waitForFunction(() => document.querySelectorAll('table.operations tbody tr').length === 1);
    assert.deepEqual(await listed(page), [red.name]);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'filter', 'focus stays in the filter box');

    const bad = 'labels.color = red AND status = SLEEPING';
    const answer = await call(server, 'GET', `/v2alpha1/projects/${project}/operations?filter=${encodeURIComponent(bad)}`);
    assert.equal(answer.status, 400);
    const serverMessage = (answer.json.error as {message: string}).message;
    await page.locator('#filter').fill(bad);
    await page.keyboard.press('Enter');
    const error = page.locator('#filter-error .server-message');
    await error.waitFor();
    assert.equal(await error.textContent(), serverMessage);
    assert.equal(await page.locator('#filter').getAttribute('aria-invalid'), 'true');

    // Back restores the narrowed list, without a reload.
    await page.goBack();
    await page.waitForFunction(() => !document.querySelector('#filter-error'));
    assert.deepEqual(await listed(page), [red.name]);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('table.operations tbody tr').length === 2);
    assert.deepEqual(await listed(page), [blue.name, red.name]);
  });

  it('shows completions, failures, assignments and cancels live, without a reload', async () => {
    const project = randomProject('dash');
    const samples = ['na12878', 'na12891', 'na12892', 'hg002', 'hg003'];
    for (const [i, sample] of samples.entries()) await run(helloRequest(project, {team: i % 2 ? 'imaging' : 'genomics', sample}));
    await page.goto(dashboard('', {project}));
    assert.equal((await listed(page)).length, 5);
    await page.evaluate(() => (window.notReloaded = true));

    // Through the API, as workers and a user would: each change must reach the page.
    const succeeded = await work(project, 'vm-a', [], {code: 0});
    const failed = await work(project, 'vm-b', [], {
      code: 9,
      message: 'Execution failed: action 1: unexpected exit status 1 was not ignored',
    });
    const running = await assign(project, 'vm-c');
    const queued = (await listed(page)).filter(name => ![succeeded, failed, running].includes(name));
    const cancelled = queued[0]!;
    assert.equal((await call(server, 'POST', `/v2alpha1/${cancelled}:cancel`, {})).status, 200);
    const expected: Record<string, string> = {[succeeded]: 'SUCCESS', [failed]: 'FAILURE', [running]: 'RUNNING', [cancelled]: 'CANCELED'};
    for (const name of queued.slice(1)) expected[name] = 'QUEUED';

    await page.waitForFunction(
      want =>
        Object.entries(want).every(
          ([name, status]) => document.querySelector(`tr[data-operation="${name}"]`)?.getAttribute('data-status') === status,
        ),
      expected,
      {timeout: LIVE_TIMEOUT_MS},
    );
    assert.equal(await page.locator(`tr[data-operation="${succeeded}"] .status`).textContent(), 'SUCCESS');
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    await screenshot(page, 'operations');
  });

  it('shows an operation: its pipeline, a timeline and events that match its events, and its logs (none: no worker ran it)', async () => {
    const project = randomProject('dash');
    const op = await run(twoActions(project, {suite: 'timeline', sample: 'two-actions'}));
    await work(
      project,
      'vm-1',
      [
        {at: 10, data: {'@type': `${T}DelayedEvent`, cause: 'Waiting for quota: CPUS in us-central1', metrics: ['CPUS']}},
        {at: 50, data: {'@type': `${T}PullStartedEvent`, imageUri: 'busybox:1.36'}},
        {at: 250, data: {'@type': `${T}PullStoppedEvent`, imageUri: 'busybox:1.36'}},
        {at: 300, data: {'@type': `${T}ContainerStartedEvent`, actionId: 1, ipAddress: '', portMappings: {}}},
        {at: 700, data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0, stderr: ''}},
        {at: 750, data: {'@type': `${T}PullStartedEvent`, imageUri: 'alpine:3.20'}},
        {at: 900, data: {'@type': `${T}PullStoppedEvent`, imageUri: 'alpine:3.20'}},
        {at: 950, data: {'@type': `${T}ContainerStartedEvent`, actionId: 2, ipAddress: '', portMappings: {}}},
        {at: 1400, data: {'@type': `${T}ContainerStoppedEvent`, actionId: 2, exitStatus: 3, stderr: 'step two failed\n'}},
        {at: 1410, data: {'@type': `${T}UnexpectedExitStatusEvent`, actionId: 2, exitStatus: 3}},
      ],
      {code: 9, message: 'Execution failed: action 2: unexpected exit status 3 was not ignored'},
    );
    const got = await get(op.name);
    assert.equal(got.done, true);
    const events = [...got.metadata.events].reverse();
    const id = op.name.split('/').pop()!;

    await page.goto(dashboard(`operations/${id}`, {project}));
    await page.locator('.timeline').waitFor();
    assert.equal(await page.locator('h1 .status').textContent(), 'FAILURE');
    assert.match((await page.locator('[data-result]').textContent()) ?? '', /FAILED_PRECONDITION \(9\): Execution failed: action 2/);

    // Pipeline: each action's image and command.
    assert.deepEqual(await page.locator('table.actions [data-image]').allTextContents(), ['busybox:1.36', 'alpine:3.20']);
    assert.deepEqual(await page.locator('table.actions [data-command]').allTextContents(), [
      `sh -c 'echo "hello world"'`,
      `sh -c 'exit 3'`,
    ]);

    // Events: every event of the operation, oldest first, as the API words them.
    const listedEvents = await page
      .locator('table.events tbody tr')
      .evaluateAll(trs =>
        trs.map(tr => ({timestamp: tr.getAttribute('data-timestamp'), description: tr.querySelector('[data-description]')?.textContent})),
      );
    assert.deepEqual(
      listedEvents,
      events.map(e => ({timestamp: e.timestamp, description: e.description})),
    );

    // Timeline: bars start and end at the events' timestamps.
    const at = (type: string, match: (d: Json) => boolean = () => true) => {
      const found = events.find(e => e.details['@type'] === `${T}${type}` && match(e.details));
      assert.ok(found, type);
      return found.timestamp;
    };
    const bars = await page.locator('.lane').evaluateAll(lanes =>
      lanes.map(lane => ({
        lane: lane.getAttribute('data-lane'),
        bars: [...lane.querySelectorAll('.bar')].map(bar => ({
          kind: bar.getAttribute('data-kind'),
          start: bar.getAttribute('data-start'),
          end: bar.getAttribute('data-end'),
        })),
        marks: lane.querySelectorAll('.mark').length,
      })),
    );
    const action = (n: number) => (d: Json) => d.actionId === n;
    const image = (uri: string) => (d: Json) => d.imageUri === uri;
    assert.deepEqual(bars, [
      {lane: 'queue', bars: [{kind: 'queued', start: got.metadata.createTime, end: at('WorkerAssignedEvent')}], marks: 0},
      {lane: 'worker:vm-1', bars: [{kind: 'worker', start: at('WorkerAssignedEvent'), end: at('WorkerReleasedEvent')}], marks: 0},
      {
        lane: 'pull:busybox:1.36',
        bars: [{kind: 'pull', start: at('PullStartedEvent', image('busybox:1.36')), end: at('PullStoppedEvent', image('busybox:1.36'))}],
        marks: 0,
      },
      {
        lane: 'pull:alpine:3.20',
        bars: [{kind: 'pull', start: at('PullStartedEvent', image('alpine:3.20')), end: at('PullStoppedEvent', image('alpine:3.20'))}],
        marks: 0,
      },
      {
        lane: 'action:1',
        bars: [{kind: 'ok', start: at('ContainerStartedEvent', action(1)), end: at('ContainerStoppedEvent', action(1))}],
        marks: 0,
      },
      {
        lane: 'action:2',
        bars: [{kind: 'failed', start: at('ContainerStartedEvent', action(2)), end: at('ContainerStoppedEvent', action(2))}],
        marks: 1,
      },
      // A delay lasts until the next event.
      {lane: 'delays', bars: [{kind: 'delay', start: at('DelayedEvent'), end: at('PullStartedEvent', image('busybox:1.36'))}], marks: 0},
    ]);
    // Bars are laid out in time order, left to right.
    const lefts = await page.locator('.lane .bar').evaluateAll(els => els.map(el => el.getBoundingClientRect().left));
    assert.ok(lefts[4]! < lefts[5]!, 'action 1 is drawn before action 2');

    // Logs: served now; no worker ran this operation, so there is no output.
    const logs = page.locator('.log-panel[data-logs="ready"]');
    await logs.waitFor();
    assert.match((await logs.textContent()) ?? '', /No output from action 1/);
    await screenshot(page, 'operation', true);
  });

  it('cancels an operation only after a confirmation', async () => {
    const project = randomProject('dash');
    const op = await run(helloRequest(project, {suite: 'cancel'}));
    const id = op.name.split('/').pop()!;
    await page.goto(dashboard(`operations/${id}`, {project}));
    const cancel = page.getByRole('button', {name: 'Cancel operation…'});
    await cancel.waitFor();

    // Asked, then kept (Escape): nothing changes.
    await cancel.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /queued: it ends CANCELED at once/);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep it', 'the safe choice has focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({state: 'hidden'});
    assert.equal((await get(op.name)).done, false);

    // Asked, then confirmed.
    await cancel.click();
    await dialog.getByRole('button', {name: 'Yes, cancel it'}).click();
    await page.waitForFunction(() => document.querySelector('h1 .status')?.textContent === 'CANCELED', undefined, {
      timeout: LIVE_TIMEOUT_MS,
    });
    const after = await get(op.name);
    assert.equal(after.done, true);
    assert.equal(after.error?.code, 1);
    assert.equal(await page.getByRole('button', {name: 'Cancel operation…'}).count(), 0, 'no cancel for a done operation');
  });

  it('a viewer cannot cancel: the server’s 403 is shown and cancel is disabled; a bad token’s 401 is shown', async () => {
    // A Gaffer that authenticates callers with ID tokens of a test issuer and authorizes them
    // with the project's real IAM policy, set through setIamPolicy by an admin.
    const callers: TestCallers = await makeTestCallers('gaffer-dashboard-');
    const secured = await startGaffer({callerIssuers: callers.callerIssuers, accessMode: 'iam', admins: ['user:admin@example.com']});
    try {
      const project = randomProject('dash');
      const [admin, runner, viewer] = await Promise.all(['admin', 'runner', 'viewer'].map(who => callers.token(`${who}@example.com`)));
      const granted = await call(secured, 'POST', `/v2alpha1/projects/${project}:setIamPolicy`, {
        policy: {
          bindings: [
            {role: 'roles/genomics.pipelinesRunner', members: ['user:runner@example.com']},
            {role: 'roles/genomics.viewer', members: ['user:viewer@example.com']},
          ],
        },
      }, bearer(admin!));
      assert.equal(granted.status, 200, JSON.stringify(granted.json));
      const ran = await call(secured, 'POST', '/v2alpha1/pipelines:run', helloRequest(project, {suite: 'viewer'}), bearer(runner!));
      assert.equal(ran.status, 200, JSON.stringify(ran.json));
      const op = ran.json as unknown as OperationJson;
      const id = op.name.split('/').pop()!;
      const page2 = `${secured.url}/dashboard/?${new URLSearchParams({project})}`;
      await page.goto(page2);

      // Sign in as a viewer, with the keyboard.
      await page.locator('#sign-in-token').focus();
      await page.keyboard.type(viewer!);
      await page.keyboard.press('Enter');
      await page.locator('[data-signed-in]').waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('gaffer.idToken')), viewer);
      // The list reloads as the viewer: wait for that answer, not the one before signing in.
      await page.locator(`table.operations tbody tr[data-operation="${op.name}"]`).waitFor({timeout: LIVE_TIMEOUT_MS});
      assert.deepEqual(await listed(page), [op.name], 'a viewer sees the operations');

      await page.locator(`a[href*="operations/${id}"]`).click();
      assert.equal(await page.locator('[data-submitter]').textContent(), 'user:runner@example.com', 'who ran it');
      await page.getByRole('button', {name: 'Cancel operation…'}).click();
      await page.getByRole('dialog').getByRole('button', {name: 'Yes, cancel it'}).click();
      const refused = await call(secured, 'POST', `/v2alpha1/${op.name}:cancel`, {}, bearer(viewer!));
      assert.equal(refused.status, 403);
      assert.match((refused.json.error as {message: string}).message, /genomics\.operations\.cancel/);
      const banner = page.locator('.banner.error[data-http-status="403"]');
      await banner.waitFor();
      assert.equal(await banner.locator('.server-message').textContent(), (refused.json.error as {message: string}).message);
      assert.equal(await page.getByRole('button', {name: 'Cancel operation…'}).isDisabled(), true);
      const still = await call(secured, 'GET', `/v2alpha1/${op.name}`, undefined, bearer(runner!));
      assert.equal((still.json as unknown as OperationJson).done, false, 'nothing was cancelled');
      await screenshot(page, 'viewer-cannot-cancel');

      // A token the server does not accept: 401, in its words, with a way to sign in again.
      await page.getByRole('button', {name: 'Sign out'}).click();
      await page.locator('#sign-in-token').fill('not-a-token');
      await page.keyboard.press('Enter');
      await page.goto(page2);
      const unauthenticated = page.locator('.banner.error[data-http-status="401"]');
      await unauthenticated.waitFor();
      const expected = await call(secured, 'GET', `/v2alpha1/projects/${project}/operations`, undefined, {Authorization: 'Bearer not-a-token'});
      assert.equal(expected.status, 401);
      assert.equal(await unauthenticated.locator('.server-message').textContent(), (expected.json.error as {message: string}).message);
    } finally {
      await secured.close();
      rmSync(callers.dir, {recursive: true, force: true});
    }
  });

  it('shows workers: health, what each holds, last check-in and capacity, and the history of their health reports', async () => {
    const project = randomProject('dash');
    const op = await run(helloRequest(project, {suite: 'workers'}));
    await checkIn(project, 'busy-1', {workerStatus: workerStatus([2, 16], 7200, [40, 100])});
    await checkIn(project, 'idle-2', {workerStatus: workerStatus([15, 16], 60)});
    await reportHealth(project, 'idle-2', {vmIsHealthy: false, msg: 'disk errors on /dev/sdb'});

    await page.goto(dashboard('workers', {project}));
    await page.locator('table.workers[data-state="ready"][data-count="2"]').waitFor();
    const table = await page
      .locator('table.workers tbody tr')
      .evaluateAll(trs => trs.map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent?.trim())));
    assert.equal(table.length, 2);
    const [busy, idle] = table;
    assert.equal(busy![0], 'busy-1');
    assert.equal(busy![1], 'healthy');
    assert.equal(busy![2], op.name.split('/').pop());
    assert.match(busy![3], /ago|just now/);
    assert.equal(busy![4], '2.0 GiB free of 16 GiB');
    assert.equal(busy![5], '40 GiB free of 100 GiB');
    assert.equal(idle![1], 'unhealthy');
    assert.equal(idle![2], 'idle');
    await screenshot(page, 'workers');

    await page.getByRole('link', {name: 'idle-2'}).click();
    await page.locator('h1', {hasText: 'Worker idle-2'}).waitFor();
    assert.match((await page.locator('#health-title + dl').textContent()) ?? '', /disk errors on \/dev\/sdb/);
    // The samples RPC: the one health report, charted.
    const chart = page.locator('#chart-health-title + svg');
    await chart.waitFor();
    assert.match((await chart.getAttribute('aria-label')) ?? '', /^Recent health reports, 1 points from /);
  });

  it("shows each action's logs as its worker uploaded them, and a worker's charts", async () => {
    const project = randomProject('dash');
    const op = await run(twoActions(project, {suite: 'logs'}));
    const taken = (await checkIn(project, 'w-stub', {workerStatus: workerStatus([5, 8], 5400, [31, 50], {scratch: [180, 375]})})) as {
      features?: {lease: string};
    };
    assert.ok(taken.features, 'the worker took the operation');
    await reportHealth(project, 'w-stub', {
      vmIsHealthy: true,
      msg: 'all containers ready',
      vmStartupTime: new Date(Date.now() - 5_400_000).toISOString(),
    });
    const id = op.name.split('/').pop()!;
    const now = Date.now();
    const iso = (ago: number) => new Date(now - ago * 1000).toISOString();
    let batch = 0;
    /** What the worker's log uploader sends: chunks of its actions' output, under its lease. */
    async function appendLogs(entries: Json[]): Promise<void> {
      const res = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/w-stub:appendLogs?lease=${taken.features!.lease}`, {
        batch: ++batch,
        entries,
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
    }
    await appendLogs([
      {actionId: 1, stream: 'stdout', timestamp: iso(4), text: 'hello from action 1\n'},
      {actionId: 1, stream: 'stderr', timestamp: iso(3), text: 'a warning\n'},
      {actionId: 2, stream: 'stdout', timestamp: iso(2), text: 'hello from action 2\n'},
    ]);
    await page.route(`**/v2alpha1/projects/${project}/workers/w-stub/samples?*`, route => {
      const kind = new URL(route.request().url()).searchParams.get('kind');
      const samples = Array.from({length: 12}, (_, i) =>
        kind === 'health'
          ? {kind, time: iso((12 - i) * 30), data: {vmIsHealthy: i !== 7, reportInterval: '30s'}}
          : {
              kind,
              time: iso((12 - i) * 30),
              data: {
                cpuTime: [{rate: 0.2 + 0.05 * (i % 5), timestamp: iso((12 - i) * 30)}],
                memoryInfo: [
                  {currentRssBytes: String((1 + i / 4) * 2 ** 30), currentLimitBytes: String(4 * 2 ** 30), timestamp: iso((12 - i) * 30)},
                ],
              },
            },
      );
      return route.fulfill({json: {samples}});
    });
    await page.goto(dashboard(`operations/${id}`, {project}));
    const log = page.locator('pre.log[aria-label="Output of action 1"]');
    await log.waitFor();
    assert.deepEqual(await log.locator('.log-line').evaluateAll(ls => ls.map(l => l.getAttribute('data-stream'))), ['stdout', 'stderr']);
    // Still running: more may come, and Load more reads it.
    await appendLogs([{actionId: 1, stream: 'stdout', timestamp: iso(1), text: 'third line (page 2)\n'}]);
    await page.getByRole('button', {name: 'Load more'}).click();
    await page.waitForFunction(() => document.querySelectorAll('pre.log .log-line').length === 3);
    assert.match((await log.textContent()) ?? '', /third line \(page 2\)/);
    await page.getByRole('button', {name: 'Action 2'}).click();
    // Action 2's own output replaces action 1's once it has been read.
    await page.locator('pre.log[aria-label="Output of action 2"]', {hasText: 'hello from action 2'}).waitFor();
    assert.doesNotMatch((await page.locator('pre.log').textContent()) ?? '', /action 1/);
    await screenshot(page, 'operation-running', true);

    await page.goto(dashboard('workers/w-stub', {project}));
    await page.locator('#chart-health-title').waitFor();
    assert.equal(await page.locator('figure.chart').count(), 3, 'health, CPU and memory charts');
    assert.equal(await page.locator('#chart-cpu-title + svg circle').count(), 12);
    await screenshot(page, 'worker', true);
  });

  it("draws the queue's depth over time from the queueStats RPC", async () => {
    const project = randomProject('dash');
    for (let i = 0; i < 3; i++) await run(helloRequest(project));
    // What the scheduled recorder does every minute for every project (here, for this one).
    await server.app.services.queueStats.record([project]);
    await checkIn(project, 'w-queue'); // takes one: 2 queued, 1 running from now on
    await page.goto(dashboard('queue', {project}));
    await page.locator('[data-queue-latest]').waitFor();
    assert.match((await page.locator('[data-queue-latest]').textContent()) ?? '', /Queued2Running1/);
    // The recorded point and the one counted as the page asked, for each series.
    const chart = page.locator('#chart-queue-title + svg');
    assert.match((await chart.getAttribute('aria-label')) ?? '', /^Operations queued and running, 4 points from /);
    assert.equal(await chart.locator('circle').count(), 4);
    await screenshot(page, 'queue');
  });

  it('is usable with the keyboard: skip link first, real links and buttons, visible focus', async () => {
    const project = randomProject('dash');
    const op = await run(helloRequest(project));
    await page.goto(dashboard('', {project}));
    await listed(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Enter');
    // From the skip target, Tab reaches the filter box before the table.
    const order: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const el = document.activeElement!;
          return el.id || el.getAttribute('href') || el.textContent || el.tagName;
        }),
      );
    }
    const filterAt = order.indexOf('filter');
    const linkAt = order.findIndex(o => o.includes(`operations/${op.name.split('/').pop()}`));
    assert.ok(filterAt >= 0 && linkAt > filterAt, `filter before the operation link: ${order.join(' | ')}`);
    // Enter on the focused operation link opens it.
    while ((await page.evaluate(() => document.activeElement?.getAttribute('href') ?? '')).includes('operations/') === false)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('h1', {hasText: 'Operation'}).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moves to the new page’s heading');
  });

  it('pages through 300 operations with page tokens, and renders 256 at once (timed)', async function () {
    this.timeout(300_000);
    const project = randomProject('dash');
    const names: string[] = [];
    for (let i = 0; i < 300; i += 20) {
      const batch = await Promise.all(
        Array.from({length: Math.min(20, 300 - i)}, (_, j) => run(helloRequest(project, {batch: String(i / 20), n: String(i + j)}))),
      );
      names.push(...batch.map(op => op.name));
    }
    const wireOrder = [];
    for (let token = ''; ;) {
      const res = await call(
        server,
        'GET',
        `/v2alpha1/projects/${project}/operations?pageSize=256${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
      );
      wireOrder.push(...(res.json.operations as OperationJson[]).map(o => o.name));
      token = (res.json.nextPageToken as string | undefined) ?? '';
      if (!token) break;
    }
    assert.equal(wireOrder.length, 300);

    const started = Date.now();
    await page.goto(dashboard('', {project, pageSize: '256'}));
    await page.locator('table.operations[data-count="256"]').waitFor({timeout: 60_000});
    const wall = Date.now() - started;
    const timing = await page.evaluate(() => ({
      render: performance.getEntriesByName('gaffer:operations:render').at(-1)?.duration,
      paint: performance.getEntriesByName('gaffer:operations:paint').at(-1)?.duration,
    }));
    console.log(
      `      256 operations: render ${timing.render?.toFixed(1)} ms (answer to DOM), ${timing.paint?.toFixed(1)} ms to the next frame; ${wall} ms from navigation (emulator list included)`,
    );
    assert.deepEqual(await listed(page), wireOrder.slice(0, 256));
    await screenshot(page, 'operations-256');

    await page.getByRole('button', {name: 'Next →'}).click();
    await page.locator('table.operations[data-count="44"]').waitFor({timeout: 30_000});
    assert.deepEqual(await listed(page), wireOrder.slice(256));
    assert.equal(await page.getByRole('button', {name: 'Next →'}).isDisabled(), true);
    await page.getByRole('button', {name: '← Previous'}).click();
    await page.locator('table.operations[data-count="256"]').waitFor({timeout: 30_000});
    assert.deepEqual(await listed(page), wireOrder.slice(0, 256));
  });
});
