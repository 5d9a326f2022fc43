/**
 * LogUploader: what gaffer-worker sends to appendLogs, against a fake append that
 * records each request and answers as the test says (ok, retry, lease lost, refused).
 */
import {strict as assert} from 'assert';
import {AppendOutcome, LogUploader} from '../../src/agent/logUpload';
import type {AppendLogsRequestJson} from '../../src/wire/logs';

class FakeServer {
  readonly requests: AppendLogsRequestJson[] = [];
  private waiting: Array<() => void> = [];
  constructor(private readonly answer: (request: AppendLogsRequestJson, n: number) => AppendOutcome = () => 'ok') {}

  append = async (request: AppendLogsRequestJson): Promise<AppendOutcome> => {
    this.requests.push(structuredClone(request));
    this.waiting.splice(0).forEach(resolve => resolve());
    return this.answer(request, this.requests.length);
  };

  /** Resolves once `count` requests were made. */
  async received(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>(resolve => this.waiting.push(resolve));
  }

  texts(): string[] {
    return this.requests.flatMap(r => r.entries.map(e => `${e.actionId}:${e.stream}:${e.text}`));
  }
}

describe('gaffer-worker LogUploader', () => {
  it('merges what arrives in pieces, per action and stream, in the order it was read', async () => {
    const server = new FakeServer();
    const uploader = new LogUploader(server.append, {intervalMs: 60_000});
    uploader.write(1, 'stdout', 'a');
    uploader.write(1, 'stdout', 'b\n');
    uploader.write(1, 'stderr', 'warn\n');
    uploader.write(1, 'stdout', 'c\n');
    uploader.write(2, 'stdout', 'two\n');
    await uploader.drain();
    assert.deepEqual(server.texts(), ['1:stdout:ab\n', '1:stderr:warn\n', '1:stdout:c\n', '2:stdout:two\n']);
    assert.deepEqual(server.requests.map(r => r.batch), [1]);
    assert.deepEqual(uploader.sent, {requests: 1, entries: 4, chars: 14});
  });

  it('holds back a line still being written, and sends it whole once it ends (or the action does)', async () => {
    const server = new FakeServer();
    const uploader = new LogUploader(server.append, {intervalMs: 1, partialLineMs: 60_000});
    uploader.write(1, 'stdout', 'done\nhalf a li');
    await server.received(1);
    assert.deepEqual(server.texts(), ['1:stdout:done\n']);
    uploader.write(1, 'stdout', 'ne\n');
    await server.received(2);
    assert.deepEqual(server.texts().slice(1), ['1:stdout:half a line\n']);
    uploader.write(1, 'stdout', 'no newline at the end');
    uploader.endAction(1);
    await server.received(3);
    assert.deepEqual(server.texts().slice(2), ['1:stdout:no newline at the end']);
  });

  it('cuts long output into chunks the server takes (16 Ki characters, 32 a request)', async () => {
    const server = new FakeServer();
    const uploader = new LogUploader(server.append, {intervalMs: 60_000});
    uploader.write(1, 'stdout', 'x'.repeat(40_000));
    for (let i = 0; i < 40; i++) uploader.write(i % 2 ? 1 : 2, 'stdout', `line ${i}\n`);
    await uploader.drain();
    const entries = server.requests.flatMap(r => r.entries);
    assert.deepEqual(entries.slice(0, 3).map(e => e.text.length), [16_384, 16_384, 40_000 - 2 * 16_384]);
    assert.ok(server.requests.every(r => r.entries.length <= 32 && r.entries.every(e => e.text.length <= 16_384)));
    assert.deepEqual(server.requests.map(r => r.batch), server.requests.map((_, i) => i + 1));
    assert.equal(entries.reduce((n, e) => n + e.text.length, 0), 40_000 + Array.from({length: 40}, (_, i) => `line ${i}\n`.length).reduce((a, b) => a + b));
  });

  it('keeps its queue bounded: beyond 4 MiB waiting it drops from the middle, keeping the first and the newest, and says how much', async () => {
    const server = new FakeServer();
    const uploader = new LogUploader(server.append, {intervalMs: 60_000});
    const line = (n: number) => `${String(n).padStart(6, '0')} ${'y'.repeat(1016)}\n`;
    let total = 0;
    // 6 MiB at once, faster than anything can be sent.
    for (let n = 0; n < 6144; n++) {
      total += line(n).length;
      uploader.write(1, 'stdout', line(n));
    }
    await uploader.drain();
    const entries = server.requests.flatMap(r => r.entries);
    const notes = entries.filter(e => e.text.startsWith('[gaffer-worker'));
    assert.equal(notes.length, 1, 'one note where output was dropped');
    const dropped = Number(/(\d+) characters/.exec(notes[0]!.text)?.[1]);
    const sent = entries.filter(e => e !== notes[0]).reduce((n, e) => n + e.text.length, 0);
    assert.equal(sent + dropped, total, 'what was sent and what the note says was dropped add up');
    assert.ok(sent <= 4 * 1024 * 1024, `sent ${sent}`);
    assert.ok(entries[0]!.text.startsWith('000000 '), 'the first line was kept');
    assert.ok(entries.at(-1)!.text.endsWith(line(6143)), 'the last line was kept');
  });

  it('retries a failed request with the same batch number, so the server applies it once', async () => {
    const server = new FakeServer((_, n) => (n === 1 ? 'retry' : 'ok'));
    const uploader = new LogUploader(server.append, {intervalMs: 60_000});
    uploader.write(1, 'stdout', 'once\n');
    await uploader.drain();
    assert.deepEqual(server.requests.map(r => [r.batch, r.entries[0]?.text]), [
      [1, 'once\n'],
      [1, 'once\n'],
    ]);
  });

  it('stops for good when the lease is lost, and drops a batch the server refuses', async () => {
    const lost = new FakeServer(() => 'lost');
    const uploader = new LogUploader(lost.append, {intervalMs: 60_000});
    uploader.write(1, 'stdout', 'a\n');
    await uploader.drain();
    uploader.write(1, 'stdout', 'b\n');
    await uploader.drain();
    assert.equal(lost.requests.length, 1, 'nothing is sent after the lease is lost');

    const refusing = new FakeServer((_, n) => (n === 1 ? 'refused' : 'ok'));
    const next = new LogUploader(refusing.append, {intervalMs: 60_000});
    next.write(1, 'stdout', 'refused\n');
    await next.drain();
    next.write(1, 'stdout', 'accepted\n');
    await next.drain();
    assert.deepEqual(refusing.requests.map(r => [r.batch, r.entries[0]?.text]), [
      [1, 'refused\n'],
      [2, 'accepted\n'],
    ]);
  });
});
