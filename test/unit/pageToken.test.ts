import {strict as assert} from 'assert';
import {GafferError} from '../../src/core/errors';
import {PageTokenCodec} from '../../src/core/pageToken';

describe('page tokens', () => {
  const codec = new PageTokenCodec('a secret of at least thirty-two characters');
  const scope = PageTokenCodec.scope(['operations', 'my-project', 'done=false']);
  const cursor = [1_767_225_600_123_000, '1385027462960718493'];
  const [micros, id] = cursor as [number, string];
  const invalid = (pattern: RegExp) => (err: GafferError) => err.code === 'INVALID_ARGUMENT' && err.reason === 'INVALID_PAGE_TOKEN' && pattern.test(err.message);

  it('round-trips a cursor, and is opaque: neither the id nor the time can be read', () => {
    const token = codec.encode(scope, cursor);
    assert.deepEqual(codec.decode(scope, token), cursor);
    const bytes = Buffer.from(token, 'base64url').toString('latin1');
    assert.ok(!bytes.includes(id) && !bytes.includes(String(micros)));
    assert.notEqual(codec.encode(scope, cursor), token, 'a fresh nonce each time');
  });

  it('refuses a token of another scope (filter or project)', () => {
    const token = codec.encode(scope, cursor);
    const other = PageTokenCodec.scope(['operations', 'my-project', 'done=true']);
    assert.throws(() => codec.decode(other, token), invalid(/different filter or project/));
  });

  it('refuses forged, tampered, truncated and foreign tokens', () => {
    const token = codec.encode(scope, cursor);
    const flipped = Buffer.from(token, 'base64url');
    flipped[20] = flipped[20]! ^ 1;
    const foreign = new PageTokenCodec('another secret of at least thirty-two chars').encode(scope, cursor);
    for (const bad of [
      Buffer.from(JSON.stringify({v: 1, s: scope, t: 0, i: '1'})).toString('base64url'),
      flipped.toString('base64url'),
      token.slice(0, 20),
      foreign,
      'not base64url!',
      '',
    ]) {
      assert.throws(() => codec.decode(scope, bad), invalid(/not a token this service issued/), bad);
    }
  });
});
