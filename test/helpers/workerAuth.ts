/**
 * The fixtures of the worker-authentication suites (checkInAuth, workerMessagesAuth): a
 * Gaffer that trusts test issuers, and one in development mode (trusting none).
 */
import {strict as assert} from 'assert';
import {rmSync} from 'fs';
import type {Config} from '../../src/config';
import type {LocalServer} from '../../src/server';
import {startGaffer} from './gaffer';
import {makeTestIssuers, type KeyPair, type TestIssuers} from './tokens';

/** What a suite's tests use; there once the suite's before hooks have run. */
export interface TrustingGaffer {
  readonly server: LocalServer;
  readonly issuers: TestIssuers;
  readonly gceKey: KeyPair;
  readonly k8sKey: KeyPair;
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('used before the suite started (in a before hook)');
  return value;
}

/**
 * In the describe block it is called in: before the tests, makes test issuers (see
 * makeTestIssuers: their files in a temporary directory named after `dirPrefix`) and
 * starts a Gaffer that trusts them, with `config` (so not in development mode); after
 * them, closes it and removes the files.
 */
export function trustingGaffer(dirPrefix: string, k8sProject: string, config: Partial<Config> = {}): TrustingGaffer {
  let issuers: TestIssuers | undefined;
  let server: LocalServer | undefined;
  before(async () => {
    issuers = await makeTestIssuers(dirPrefix, k8sProject);
    server = await startGaffer({workerIssuers: issuers.workerIssuers, ...config});
    assert.equal(server.app.services.workerAuth.developmentMode, false);
  });
  after(async () => {
    await server?.close();
    if (issuers) rmSync(issuers.dir, {recursive: true, force: true});
  });
  return {
    get server() {
      return started(server);
    },
    get issuers() {
      return started(issuers);
    },
    get gceKey() {
      return started(issuers).gceKey;
    },
    get k8sKey() {
      return started(issuers).k8sKey;
    },
  };
}

/**
 * The suite "development mode (no issuers, loopback)": a Gaffer trusting no issuer, which
 * must be in development mode for that reason alone; `tests` declares the rest of the
 * suite's tests, which reach that Gaffer through `dev()`.
 */
export function describeDevelopmentMode(tests: (dev: () => LocalServer) => void): void {
  describe('development mode (no issuers, loopback)', () => {
    let server: LocalServer | undefined;
    before(async () => {
      server = await startGaffer({});
    });
    after(async () => {
      await server?.close();
    });
    const dev = () => started(server);

    it('is on only because no issuer is configured', () => {
      assert.equal(dev().app.services.workerAuth.developmentMode, true);
    });

    tests(dev);
  });
}
