/**
 * functions/deployment.ts is what `npm run deploy` deploys; functions/index.ts is what
 * the functions framework can serve. They must name the same functions, with the same
 * signature (HTTP for http and scheduled-http, CloudEvent for Firestore triggers), and
 * every RPC in the registry must be deployed as its own function.
 */
import {strict as assert} from 'assert';
import {dirname, join} from 'path';
import {DEPLOYABLES, ROOT_FUNCTION, WAIT_MAX_SECONDS} from '../../functions/deployment';
import {RPCS} from '../../functions/rpcs';
import {OPTIONS} from '../../src/config';

type Signature = 'http' | 'cloudevent';
type Register = (name: string, handler: unknown) => void;
interface Registry {
  http: Register;
  cloudEvent: Register;
}

/** Requires build/functions/index.js with the framework's registry wrapped, and returns what it registered. */
function registeredByIndex(): Map<string, Signature> {
  // The package exports only its index and ./testing; its registry is the module the
  // index re-exports `http` and `cloudEvent` from (read through getters at call time).
  const frameworkDir = dirname(require.resolve('@google-cloud/functions-framework'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the framework can't list what was registered
  const registry = require(join(frameworkDir, 'function_registry.js')) as Registry;
  const registered = new Map<string, Signature>();
  const {http, cloudEvent} = registry;
  registry.http = (name, handler) => {
    registered.set(name, 'http');
    http(name, handler);
  };
  registry.cloudEvent = (name, handler) => {
    registered.set(name, 'cloudevent');
    cloudEvent(name, handler);
  };
  const index = require.resolve('../../functions/index');
  try {
    delete require.cache[index];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh load of the entry point, under the wrapped registry
    require(index);
  } finally {
    registry.http = http;
    registry.cloudEvent = cloudEvent;
  }
  return registered;
}

describe('deployable functions (functions/deployment.ts)', () => {
  it('are exactly the functions functions/index.ts registers, with matching signatures', () => {
    const registered = registeredByIndex();
    const declared = new Map(
      DEPLOYABLES.map(d => [d.name, d.trigger.kind === 'firestore-trigger' ? 'cloudevent' : 'http'] as const),
    );
    assert.deepEqual([...registered.keys()].sort(), [...declared.keys()].sort());
    for (const [name, signature] of declared) assert.equal(registered.get(name), signature, name);
  });

  it('deploy every RPC of the registry as its own HTTP function, plus the root function', () => {
    for (const rpc of RPCS) {
      assert.equal(DEPLOYABLES.find(d => d.name === rpc.name)?.trigger.kind, 'http', rpc.name);
    }
    assert.equal(DEPLOYABLES.find(d => d.name === ROOT_FUNCTION)?.trigger.kind, 'http');
    assert.equal(new Set(DEPLOYABLES.map(d => d.name)).size, DEPLOYABLES.length, 'names are unique');
  });

  it('give the functions that serve operations.wait a timeout longer than the longest wait', () => {
    assert.equal(OPTIONS.waitMaxTimeoutMs.defaultValue, WAIT_MAX_SECONDS * 1000);
    const waiting = [...RPCS.filter(rpc => rpc.path.endsWith(':wait')).map(rpc => rpc.name), ROOT_FUNCTION];
    assert.ok(waiting.length > 1, 'the registry has a wait RPC');
    for (const name of waiting) {
      const timeout = DEPLOYABLES.find(d => d.name === name)?.timeoutSeconds ?? 0;
      assert.ok(timeout > WAIT_MAX_SECONDS, `${name}: ${timeout}s`);
    }
  });

  it('declare resources Cloud Run accepts', () => {
    for (const d of DEPLOYABLES) {
      assert.match(d.memory, /^\d+(Mi|Gi)$/, d.name);
      const cpu = Number(d.cpu);
      assert.ok(cpu > 0 && cpu <= 8, `${d.name} cpu`);
      // Below one vCPU, Cloud Run serves one request at a time.
      if (cpu < 1) assert.equal(d.concurrency, 1, `${d.name} concurrency`);
      assert.ok(d.timeoutSeconds >= 1 && d.timeoutSeconds <= 3600, `${d.name} timeout`);
      if (d.trigger.kind === 'firestore-trigger') assert.ok(d.timeoutSeconds <= 540, `${d.name}: event functions allow 540s`);
      if (d.trigger.kind === 'scheduled-http') assert.equal(d.trigger.schedule.split(' ').length, 5, `${d.name} schedule`);
    }
  });
});
