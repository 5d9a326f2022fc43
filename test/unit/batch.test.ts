/**
 * Google's batch format, as real clients write and read it: dsub's ddel (googleapiclient)
 * sends LF line endings and a quoted boundary, and folds its Content-IDs; it reads only
 * CRLF answers with `Content-ID: <response-ID>` and a reason phrase on each status line.
 */
import {strict as assert} from 'assert';
import {readFileSync} from 'fs';
import {join} from 'path';
import {formatBatchResponse, parseBatch} from '../../src/http/batch';
import {GafferError} from '../../src/core/errors';

const DDEL = readFileSync(join(__dirname, '../../../test/data/batch/dsub-0.5.0-ddel.txt'));
const DDEL_TYPE = 'multipart/mixed; boundary="===============2299831095292504104=="';

describe('the batch format', () => {
  it("reads dsub's ddel batch: LF line endings, a quoted boundary, folded Content-IDs", () => {
    const parts = parseBatch(DDEL_TYPE, DDEL);
    assert.ok(parts.length >= 2);
    assert.deepEqual(parts[0], {
      contentId: '<3a251b81-5919-4b26-9a1d-cb1971db8a84 + projects/my-proj/locations/us-central1/operations/1002>',
      method: 'POST',
      url: '/v2beta/projects/my-proj/locations/us-central1/operations/1002:cancel?alt=json',
      headers: {
        'content-type': 'application/json',
        'mime-version': '1.0',
        accept: 'application/json',
        'accept-encoding': 'gzip, deflate',
        'user-agent': '(gzip)',
        'x-goog-api-client': 'gdcl/2.201.0 gl-python/3.11.7',
        host: '127.0.0.1:8765',
        'content-length': '2',
      },
      body: Buffer.from('{}'),
    });
  });

  it("reads a Java client's batch: CRLF, numbered parts, absolute URLs", () => {
    const body = [
      '--__END_OF_PART__',
      'Content-Length: 120',
      'Content-Type: application/http',
      'content-id: 1',
      'content-transfer-encoding: binary',
      '',
      'POST https://gaffer.example.com/v2beta/projects/p/locations/us-central1/pipelines:run HTTP/1.1',
      'Content-Type: application/json; charset=UTF-8',
      'Content-Length: 7',
      '',
      '{"a":1}',
      '--__END_OF_PART__--',
      '',
    ].join('\r\n');
    const [part] = parseBatch('multipart/mixed; boundary=__END_OF_PART__', Buffer.from(body));
    assert.deepEqual(part && [part.contentId, part.method, part.url, part.body.toString()], ['1', 'POST', '/v2beta/projects/p/locations/us-central1/pipelines:run', '{"a":1}']);
  });

  it('answers in order, CRLF, with response- Content-IDs and reason phrases', () => {
    const parts = parseBatch(DDEL_TYPE, DDEL).slice(0, 2);
    const text = formatBatchResponse('b1', parts, [
      {status: 200, headers: {'Content-Type': 'application/json; charset=UTF-8'}, body: '{}'},
      {status: 400, headers: {}, body: '{"error":{"status":"FAILED_PRECONDITION"}}'},
    ]);
    assert.equal(text.replace(/\r\n/g, ''), text.replace(/\r\n/g, '').replace(/\n/g, ''), 'no bare LF');
    const answered = text.split('--b1').slice(1, -1);
    assert.equal(answered.length, 2);
    assert.match(answered[0] ?? '', /\r\nContent-ID: <response-3a251b81-5919-4b26-9a1d-cb1971db8a84 \+ projects\/my-proj\/locations\/us-central1\/operations\/1002>\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    assert.match(answered[1] ?? '', /\r\nHTTP\/1.1 400 Bad Request\r\n[\s\S]*\r\n\r\n\{"error":\{"status":"FAILED_PRECONDITION"\}\}\r\n$/);
    assert.ok(text.endsWith('--b1--\r\n'));
  });

  it('refuses what is not a batch, saying why', () => {
    const refused = (type: string, body: string) => {
      try {
        parseBatch(type, Buffer.from(body));
      } catch (err) {
        return err instanceof GafferError ? `${err.code} ${err.message}` : String(err);
      }
      return 'accepted';
    };
    assert.match(refused('application/json', '{}'), /INVALID_ARGUMENT .*multipart\/mixed with a boundary/);
    assert.match(refused('multipart/mixed; boundary=x', 'no parts here'), /INVALID_ARGUMENT .*holds no parts/);
    assert.match(refused('multipart/mixed; boundary=x', '--x\r\nContent-Type: application/http\r\n\r\nnot a request\r\n--x--'), /part 1 does not hold an HTTP request line/);
    const many = Array.from({length: 1001}, () => '--x\r\n\r\nGET /v2alpha1/projects/p/operations HTTP/1.1\r\n\r\n').join('') + '--x--';
    assert.match(refused('multipart/mixed; boundary=x', many), /1001 parts; at most 1000/);
  });
});
