/**
 * DockerExecutor drives the `docker` CLI. No Docker engine runs on these machines, so
 * this runs it against a stand-in `docker` on PATH that records its arguments and runs
 * the container's command as a host process: it checks what Gaffer controls (the
 * arguments, pull events, environment, exit status, kill on timeout), not Docker.
 */
import {strict as assert} from 'assert';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {DockerExecutor} from '../../src/agent/executor';
import {ActionJson, EventData, PipelineRunner} from '../../src/agent/runner';

const FAKE_DOCKER = `#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_DIR/calls.log"
case "$1" in
  info) echo 28.2.2; exit 0 ;;
  pull) [ "$3" = "missing" ] && { echo "manifest unknown" >&2; exit 1; }; exit 0 ;;
  kill) kill -s "$(echo "$3" | sed 's/^SIG//')" "$(cat "$FAKE_DOCKER_DIR/$4.pid")"; exit 0 ;;
  run)
    shift
    while [ $# -gt 0 ]; do
      case "$1" in
        --rm) shift ;;
        --name) name="$2"; shift 2 ;;
        -e) export "$2"; shift 2 ;;
        --entrypoint) entrypoint="$2"; shift 2 ;;
        *) break ;;
      esac
    done
    shift # the image
    echo $$ > "$FAKE_DOCKER_DIR/$name.pid"
    if [ -n "$entrypoint" ]; then exec "$entrypoint" "$@"; else exec "$@"; fi ;;
esac
exit 2
`;

describe('DockerExecutor (against a stand-in docker CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  let savedPath: string | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gaffer-docker-'));
    writeFileSync(join(dir, 'docker'), FAKE_DOCKER);
    chmodSync(join(dir, 'docker'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath}`;
    process.env.FAKE_DOCKER_DIR = dir;
  });
  after(() => {
    process.env.PATH = savedPath;
    delete process.env.FAKE_DOCKER_DIR;
    rmSync(dir, {recursive: true, force: true});
  });

  const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
  const run = async (actions: ActionJson[]) => {
    const events: EventData[] = [];
    const result = await new PipelineRunner(
      {actions, environment: {FROM_PIPELINE: 'p'}},
      new DockerExecutor(),
      e => events.push(e),
      'op-1',
    ).run();
    return {result, events, types: events.map(e => e['@type'].split('.').pop())};
  };

  it('is available when the engine answers `docker info`', async () => {
    assert.equal(await DockerExecutor.available(), true);
  });

  it('pulls each image once, then runs each action as a named container with its environment', async () => {
    const {result, events, types} = await run([
      {imageUri: 'alpine:3', commands: ['sh', '-c', 'echo "$FROM_PIPELINE $FROM_ACTION" >&2'], environment: {FROM_ACTION: 'a'}},
      {imageUri: 'alpine:3', entrypoint: 'sh', commands: ['-c', 'exit 0']},
    ]);
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(types, [
      'PullStartedEvent',
      'PullStoppedEvent',
      'ContainerStartedEvent',
      'ContainerStoppedEvent',
      'ContainerStartedEvent',
      'ContainerStoppedEvent',
    ]);
    assert.match(String(events[3]!.stderr), /^p a/);
    const log = calls();
    assert.equal(log.filter(c => c.startsWith('pull')).length, 1);
    assert.ok(log.some(c => c.startsWith('run --rm --name gaffer-op-1-1 ') && c.includes('-e FROM_PIPELINE=p') && c.includes('-e FROM_ACTION=a')));
    assert.ok(log.some(c => c.startsWith('run --rm --name gaffer-op-1-2 ') && c.includes('--entrypoint sh alpine:3 -c exit 0')));
  });

  it('fails the pipeline when a pull fails, with one FailedEvent naming the image', async () => {
    const {result, types} = await run([{imageUri: 'missing', commands: ['true']}]);
    assert.equal(result.code, 9);
    assert.match(result.message ?? '', /pulling "missing" failed/);
    assert.deepEqual(types, ['PullStartedEvent', 'FailedEvent']);
  });

  it('kills a container past its timeout with docker kill', async () => {
    const {result, types} = await run([{imageUri: 'alpine:3', commands: ['sleep', '30'], timeout: '0.5s'}]);
    assert.equal(result.code, 9);
    assert.ok(types.includes('ContainerKilledEvent'));
    assert.ok(calls().some(c => c.startsWith('kill --signal SIGTERM gaffer-op-1-1')));
  });
});
