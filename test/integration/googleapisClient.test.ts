/**
 * Google's own generated Node client (`googleapis`, genomics v2alpha1), unchanged and
 * with no auth, pointed at Gaffer by rootUrl: pipelines.run, operations.get/list/cancel,
 * and errors as the GaxiosErrors callers already handle. Node's diagnostics channels
 * watch every HTTP request and socket in the process, to show that the client sends no
 * credentials and talks to nobody but Gaffer (no metadata server, no network). Gaffer
 * runs in this process too, so everything a test does runs in an AsyncLocalStorage
 * context: what happens in it is the client's doing, what happens outside it (request
 * handling, Firestore) is the server's.
 */
import {strict as assert} from 'assert';
import {AsyncLocalStorage} from 'async_hooks';
import diagnosticsChannel from 'diagnostics_channel';
import {readFileSync} from 'fs';
import {ClientRequest, IncomingMessage} from 'http';
import {Socket} from 'net';
import path from 'path';
import {Common, genomics_v2alpha1, google} from 'googleapis';
import {LocalServer} from '../../src/server';
import {helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {assertHttpStatus, failure, genomicsClient, type StatusJson} from '../helpers/googleapis';

type Operation = genomics_v2alpha1.Schema$Operation;
type Metadata = genomics_v2alpha1.Schema$Metadata;
type RunPipelineRequest = genomics_v2alpha1.Schema$RunPipelineRequest;

const METADATA_TYPE = 'type.googleapis.com/google.genomics.v2alpha1.Metadata';

/** Set while a test's own code (and so the client) runs; Gaffer's request handling is outside it. */
const CLIENT = new AsyncLocalStorage<true>();
const byClient = () => CLIENT.getStore() === true;

/** it() and before(), with the body in the client's context. */
function clientIt(title: string, body: () => Promise<void> | void): void {
  it(title, () => CLIENT.run(true, body));
}
function clientBefore(body: () => Promise<void>): void {
  before(() => CLIENT.run(true, body));
}

function fullRequest(project: string): RunPipelineRequest {
  const file = path.join(__dirname, '../../../test/data/pipelines/full.json');
  const request = JSON.parse(readFileSync(file, 'utf8')) as RunPipelineRequest;
  request.pipeline!.resources!.projectId = project;
  return request;
}

function metadataOf(op: Operation): Metadata & {'@type'?: string} {
  assert.ok(op.metadata, `no metadata in ${JSON.stringify(op)}`);
  return op.metadata;
}

/** Checks the parts of a failed call that callers of Google's client rely on; returns the Status. */
function assertStatus(err: Common.GaxiosError<StatusJson>, httpStatus: number, status: string): StatusJson['error'] {
  const error = assertHttpStatus(err, httpStatus, status);
  assert.equal(err.message, error.message, 'the client should surface the google.rpc message as err.message');
  assert.equal(err.code, httpStatus);
  return error;
}

interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | number | undefined>;
}

interface OutgoingRequest extends SeenRequest {
  host: string;
  byClient: boolean;
}

/** Every HTTP request and socket of this process while the tests run. */
class NetworkWatch {
  /** HTTP requests made in this process, by the client or by Gaffer. */
  readonly outgoing: OutgoingRequest[] = [];
  /** HTTP requests Gaffer received. */
  readonly serverRequests: SeenRequest[] = [];
  /** Addresses sockets tried to connect to ("ip:port"), and host names sockets looked up. */
  readonly socketAddresses: Array<{address: string; byClient: boolean}> = [];
  readonly lookups: Array<{host: string; address?: string; byClient: boolean}> = [];

  private readonly onClientRequest = (message: unknown) => {
    const request = (message as {request: ClientRequest}).request;
    this.outgoing.push({
      method: request.method,
      url: request.path,
      host: String(request.getHeader('host') ?? request.host),
      headers: request.getHeaders(),
      byClient: byClient(),
    });
  };

  private readonly onServerRequest = (message: unknown) => {
    const request = (message as {request: IncomingMessage}).request;
    this.serverRequests.push({method: request.method ?? '', url: request.url ?? '', headers: {...request.headers}});
  };

  private readonly onSocket = (message: unknown) => {
    const socket = (message as {socket: Socket}).socket;
    const client = byClient();
    socket.on('connectionAttempt', (ip: string, port: number) =>
      this.socketAddresses.push({address: `${ip}:${port}`, byClient: client}),
    );
    socket.on('lookup', (_err: Error | null, address: string | undefined, _family: unknown, host: string) =>
      this.lookups.push({host, address, byClient: client}),
    );
  };

  start(): void {
    diagnosticsChannel.subscribe('http.client.request.start', this.onClientRequest);
    diagnosticsChannel.subscribe('http.server.request.start', this.onServerRequest);
    diagnosticsChannel.subscribe('net.client.socket', this.onSocket);
  }

  stop(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onClientRequest);
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onServerRequest);
    diagnosticsChannel.unsubscribe('net.client.socket', this.onSocket);
  }

  /** Requests Gaffer received whose path starts with `prefix`. */
  received(prefix: string): SeenRequest[] {
    return this.serverRequests.filter(r => r.url.startsWith(prefix));
  }
}

describe('googleapis generated client (genomics v2alpha1) against Gaffer', function () {
  let server: LocalServer;
  let genomics: genomics_v2alpha1.Genomics;
  const watch = new NetworkWatch();

  before(async () => {
    watch.start();
    // Its status topic is in another project: allowed by the allow-list (GAFFER_PUBSUB_TOPICS).
    server = await startGaffer({pubSubTopics: ['projects/{project}/topics/*', 'projects/gaffer-test-project/topics/pipeline-status']});
    genomics = CLIENT.run(true, () => genomicsClient(server));
  });
  after(async () => {
    watch.stop();
    await server.close();
  });

  async function run(request: RunPipelineRequest): Promise<Operation> {
    const res = await genomics.pipelines.run({requestBody: request});
    assert.equal(res.status, 200);
    return res.data;
  }

  async function get(name: string): Promise<Operation> {
    const res = await genomics.projects.operations.get({name});
    assert.equal(res.status, 200);
    return res.data;
  }

  /** Every page of operations.list, following nextPageToken until it is empty. */
  async function listPages(
    project: string,
    params: {filter?: string; pageSize?: number} = {},
  ): Promise<string[][]> {
    const pages: string[][] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await genomics.projects.operations.list({name: `projects/${project}/operations`, ...params, pageToken});
      assert.equal(res.status, 200);
      const data: genomics_v2alpha1.Schema$ListOperationsResponse = res.data;
      assert.ok(Array.isArray(data.operations), `no operations array in ${JSON.stringify(data)}`);
      pages.push(data.operations.map(op => op.name!));
      pageToken = data.nextPageToken || undefined;
      if (!pageToken) return pages;
    }
    return assert.fail('operations.list never stopped returning a nextPageToken');
  }

  describe('pipelines.run and projects.operations.get', () => {
    let project: string;
    let request: RunPipelineRequest;
    let op: Operation;

    clientBefore(async () => {
      project = randomProject('gapi');
      request = fullRequest(project);
      op = await run(request);
    });

    clientIt('run returns a queued Operation with v2alpha1 Metadata', () => {
      assert.match(op.name!, new RegExp(`^projects/${project}/operations/\\d+$`));
      assert.equal(op.done, false);
      assert.equal(op.error, undefined);
      assert.equal(op.response, undefined);
      const metadata = metadataOf(op);
      assert.equal(metadata['@type'], METADATA_TYPE);
      assert.deepEqual(metadata.events, []);
      assert.ok(!Number.isNaN(Date.parse(metadata.createTime!)), `createTime ${metadata.createTime}`);
    });

    clientIt('run round-trips the labels and every field of the pipeline', () => {
      const metadata = metadataOf(op);
      assert.deepEqual(metadata.labels, request.labels);
      assert.deepEqual(metadata.pipeline, request.pipeline);
      assert.equal(metadata.pipeline!.resources!.projectId, project);
      assert.equal((op.metadata as {pubSubTopic?: string}).pubSubTopic, request.pubSubTopic);
    });

    clientIt('get returns the same operation', async () => {
      assert.deepEqual(await get(op.name!), op);
    });
  });

  describe('projects.operations.list', () => {
    let project: string;
    /** Operation names in creation order. */
    const created: string[] = [];
    const colors = ['red', 'blue', 'green'];
    const colorOf = (i: number) => colors[i % colors.length]!;
    const cancelledIndex = 4;
    const newestFirst = (keep: (i: number) => boolean) =>
      created.map((name, i) => ({name, i})).filter(({i}) => keep(i)).map(({name}) => name).reverse();

    clientBefore(async () => {
      project = randomProject('gapi');
      for (let i = 0; i < 12; i++) {
        const op = await run(helloRequest(project, {color: colorOf(i), n: String(i)}));
        created.push(op.name!);
      }
      const res = await genomics.projects.operations.cancel({name: created[cancelledIndex]!});
      assert.equal(res.status, 200);
    });

    clientIt('filters on a label: labels.color = red', async () => {
      const pages = await listPages(project, {filter: 'labels.color = red'});
      assert.deepEqual(pages.flat(), newestFirst(i => colorOf(i) === 'red'));
    });

    clientIt('filters on done = false and done = true', async () => {
      assert.deepEqual((await listPages(project, {filter: 'done = false'})).flat(), newestFirst(i => i !== cancelledIndex));
      assert.deepEqual((await listPages(project, {filter: 'done = true'})).flat(), [created[cancelledIndex]]);
    });

    clientIt('pages with pageSize 5 through every operation exactly once, newest first', async () => {
      const pages = await listPages(project, {pageSize: 5});
      assert.ok(pages.length >= 3, `12 operations in ${pages.length} pages of at most 5`);
      for (const page of pages) assert.ok(page.length <= 5, `a page of ${page.length}`);
      const names = pages.flat();
      assert.equal(new Set(names).size, names.length, 'an operation was listed twice');
      assert.deepEqual(names, newestFirst(() => true));
    });

    clientIt('pages a filtered list, keeping the filter with the token', async () => {
      const pages = await listPages(project, {filter: 'labels.color = blue', pageSize: 1});
      assert.deepEqual(pages.flat(), newestFirst(i => colorOf(i) === 'blue'));
    });

    clientIt('returns full Operations, as get does', async () => {
      const res = await genomics.projects.operations.list({name: `projects/${project}/operations`, pageSize: 1});
      const listed = res.data.operations![0]!;
      assert.equal(listed.name, created[created.length - 1]);
      assert.deepEqual(listed, await get(listed.name!));
    });
  });

  describe('projects.operations.cancel', () => {
    clientIt('resolves with Empty, after which get shows done with CANCELLED (code 1)', async () => {
      const op = await run(helloRequest(randomProject('gapi')));
      const res = await genomics.projects.operations.cancel({name: op.name!});
      assert.equal(res.status, 200);
      const empty: genomics_v2alpha1.Schema$Empty = res.data;
      assert.deepEqual(empty, {});
      const got = await get(op.name!);
      assert.equal(got.done, true);
      assert.equal(got.error?.code, 1);
      assert.equal(got.error?.message, 'The operation was cancelled');
      assert.equal(got.response, undefined);
      const metadata = metadataOf(got);
      assert.ok(metadata.endTime);
      assert.equal(metadata.events?.[0]?.details?.['@type'], 'type.googleapis.com/google.genomics.v2alpha1.FailedEvent');
    });

    clientIt('accepts the empty CancelOperationRequest body the generated samples send', async () => {
      const op = await run(helloRequest(randomProject('gapi')));
      const res = await genomics.projects.operations.cancel({name: op.name!, requestBody: {}});
      assert.deepEqual(res.data, {});
      assert.equal((await get(op.name!)).done, true);
    });

    clientIt('fails a second cancel with FAILED_PRECONDITION', async () => {
      const op = await run(helloRequest(randomProject('gapi')));
      await genomics.projects.operations.cancel({name: op.name!});
      const err = await failure(genomics.projects.operations.cancel({name: op.name!}));
      const error = assertStatus(err, 400, 'FAILED_PRECONDITION');
      assert.match(error.message, /already done/);
    });
  });

  describe('errors as GaxiosError', () => {
    clientIt('get of a missing operation: 404 NOT_FOUND naming the operation, not retried', async () => {
      const name = `projects/${randomProject('gapi')}/operations/123456789`;
      const err = await failure(genomics.projects.operations.get({name}));
      const error = assertStatus(err, 404, 'NOT_FOUND');
      assert.ok(error.message.includes(name), error.message);
      assert.equal(error.errors, undefined, 'errors[] is only for $.xgafv=1');
      assert.equal(error.details[0]!['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
      assert.equal(watch.received(`/v2alpha1/${name}`).length, 1);
    });

    clientIt('list with a bad filter: 400 INVALID_ARGUMENT', async () => {
      const err = await failure(
        genomics.projects.operations.list({name: `projects/${randomProject('gapi')}/operations`, filter: 'colour = red'}),
      );
      const error = assertStatus(err, 400, 'INVALID_ARGUMENT');
      assert.match(error.message, /colour/);
    });

    clientIt('run without an imageUri: 400 INVALID_ARGUMENT naming the field, and nothing stored', async () => {
      const project = randomProject('gapi');
      const requestBody: RunPipelineRequest = {
        pipeline: {actions: [{commands: ['echo', 'hello']}], resources: {projectId: project, regions: ['us-central1']}},
      };
      const err = await failure(genomics.pipelines.run({requestBody}));
      const error = assertStatus(err, 400, 'INVALID_ARGUMENT');
      assert.match(error.message, /pipeline\.actions\[0\]\.imageUri is required/);
      const fieldViolations = error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest')
        ?.fieldViolations as Array<{field: string}> | undefined;
      assert.deepEqual(fieldViolations?.map(v => v.field), ['pipeline.actions[0].imageUri']);
      assert.deepEqual(await listPages(project), [[]]);
    });

    clientIt('$.xgafv: "1" on a failing call adds the v1 errors[]', async () => {
      const name = `projects/${randomProject('gapi')}/operations/42`;
      const err = await failure(genomics.projects.operations.get({name, '$.xgafv': '1'}));
      const error = assertStatus(err, 404, 'NOT_FOUND');
      assert.deepEqual(error.errors, [{message: error.message, domain: 'global', reason: 'notFound'}]);
      const [seen] = watch.received(`/v2alpha1/${name}`);
      assert.ok(seen, 'Gaffer did not see the request');
      assert.equal(new URL(seen.url, server.url).searchParams.get('$.xgafv'), '1');
    });

    clientIt('$.xgafv: "2" keeps the v2 format', async () => {
      const err = await failure(
        genomics.projects.operations.list({name: `projects/${randomProject('gapi')}/operations`, filter: '(done = true', '$.xgafv': '2'}),
      );
      assert.equal(assertStatus(err, 400, 'INVALID_ARGUMENT').errors, undefined);
    });
  });

  // Only the client's traffic is checked here. Gaffer's own Firestore client (google-gax)
  // runs outside the client's context and is not this file's subject.
  describe('transport', () => {
    // Enough calls of every kind for this block to stand alone (e.g. under --grep).
    clientBefore(async () => {
      const project = randomProject('gapi');
      const op = await run(helloRequest(project));
      await get(op.name!);
      await listPages(project, {filter: 'done = false', pageSize: 1});
      await genomics.projects.operations.cancel({name: op.name!});
      await failure(genomics.projects.operations.get({name: `projects/${project}/operations/1`, '$.xgafv': '1'}));
    });

    clientIt('the client has no auth client configured', () => {
      assert.equal((genomics.context._options as {auth?: unknown}).auth, undefined);
      assert.equal((google as unknown as {_options: {auth?: unknown}})._options.auth, undefined);
    });

    clientIt('every request the client made went to Gaffer, with no credentials', () => {
      const host = new URL(server.url).host;
      const sent = watch.outgoing.filter(r => r.byClient);
      for (const request of sent) {
        const what = `${request.method} ${request.host}${request.url}`;
        assert.equal(request.host, host, what);
        assert.ok(request.url.startsWith('/v2alpha1/'), what);
        assert.equal(request.headers.authorization, undefined, `${what} sent credentials`);
        assert.equal(request.headers['metadata-flavor'], undefined, `${what} is a metadata server request`);
        assert.match(String(request.headers['user-agent']), /google-api-nodejs-client\//, what);
        assert.match(String(request.headers['x-goog-api-client']), /gdcl\//, what);
      }
      assert.ok(sent.length >= 5, `only ${sent.length} requests seen`);
      const received = watch.received('/v2alpha1/');
      assert.equal(received.length, sent.length, 'Gaffer received other requests than the client sent');
      for (const request of received) {
        assert.equal(request.headers.authorization, undefined, request.url);
        assert.equal(request.headers['x-goog-user-project'], undefined, request.url);
        const query = new URL(request.url, server.url).searchParams;
        for (const credential of ['key', 'access_token', 'oauth_token']) assert.equal(query.get(credential), null, request.url);
      }
    });

    clientIt('the client opened sockets only to Gaffer and looked up no host name', () => {
      const {hostname, port} = new URL(server.url);
      const addresses = watch.socketAddresses.filter(s => s.byClient).map(s => s.address);
      assert.ok(addresses.length > 0, 'no socket of the client was seen');
      assert.deepEqual([...new Set(addresses)], [`${hostname}:${port}`]);
      assert.deepEqual(watch.lookups.filter(l => l.byClient), []);
    });
  });
});
