import {strict as assert} from 'assert';
import {accessPolicyFor, isLoopback, loopbackOnly} from '../../src/core/access';
import {GafferError} from '../../src/core/errors';

describe('access seam', () => {
  it('knows loopback addresses, IPv4-mapped ones included', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', '', undefined]) {
      assert.equal(isLoopback(address), false, String(address));
    }
  });

  it('lets loopback callers do everything and refuses anyone else with PERMISSION_DENIED naming the permission', async () => {
    await loopbackOnly.check({remoteAddress: '127.0.0.1'}, 'genomics.operations.cancel', 'my-project');
    await assert.rejects(
      loopbackOnly.check({remoteAddress: '10.1.2.3'}, 'genomics.operations.cancel', 'my-project'),
      (err: GafferError) =>
        err.code === 'PERMISSION_DENIED' && /genomics\.operations\.cancel/.test(err.message) && err.metadata.projectId === 'my-project',
    );
  });

  it('trusts the platform (Cloud Functions IAM) in invoker mode', async () => {
    await accessPolicyFor('invoker').check({remoteAddress: '10.1.2.3'}, 'genomics.operations.get', 'my-project');
    assert.equal(accessPolicyFor('loopback'), loopbackOnly);
  });
});
