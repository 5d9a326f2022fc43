/**
 * The real functions-framework binary serving one target of build/functions/index.js, as
 * Cloud Run functions run it: listening on every interface, with the environment the
 * deploy gives every function (FRAMEWORK_ENV) plus the test's.
 */
import {ChildProcess, spawn} from 'child_process';
import {join} from 'path';
import {FRAMEWORK_ENV} from '../../functions/deployment';
import {freePort} from '../../src/dev/emulators';
import {emulatorHost, pubsubEmulatorHost} from './gaffer';

const ROOT = join(__dirname, '../../..');

export interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed. */
  output(): string;
  stop(): void;
}

export async function serveTarget(target: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      `--target=${target}`,
      `--source=${join(ROOT, 'build/functions/index.js')}`,
      `--port=${port}`,
    ],
    {
      env: {
        ...process.env,
        FIRESTORE_EMULATOR_HOST: emulatorHost(),
        PUBSUB_EMULATOR_HOST: pubsubEmulatorHost(),
        GAFFER_STATE_PROJECT: 'gaffer-test',
        GAFFER_UNFENCED_REPORT_DELAY: '0s',
        ...FRAMEWORK_ENV,
        // The framework prints "Serving function" only outside production.
        NODE_ENV: 'test',
        ...env,
      },
      stdio: 'pipe',
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!output.includes('Serving function')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`functions framework did not start:\n${output}`);
    await new Promise(r => setTimeout(r, 100));
  }
  return {url: `http://127.0.0.1:${port}`, port, child, output: () => output, stop: () => child.kill('SIGKILL')};
}
