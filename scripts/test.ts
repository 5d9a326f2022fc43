/**
 * `npm test`: starts the Firestore and Pub/Sub emulators (unless FIRESTORE_EMULATOR_HOST /
 * PUBSUB_EMULATOR_HOST are set),
 * runs every mocha test against it, and stops it again, whatever happens.
 */
import {spawn} from 'child_process';
import {join} from 'path';
import {RunningEmulator, startEmulator} from '../src/dev/emulators';

/** Every test: unit tests (no emulator needed), integration tests, then the dashboard in a real browser. */
const ALL_SPECS = ['build/test/unit/**/*.test.js', 'build/test/integration/**/*.test.js', 'build/test/browser/**/*.test.js'];

async function main(): Promise<number> {
  const emulators: RunningEmulator[] = [];
  const env = {...process.env};
  try {
    const [firestore, pubsub] = await Promise.all([
      env.FIRESTORE_EMULATOR_HOST ? undefined : startEmulator('firestore'),
      env.PUBSUB_EMULATOR_HOST ? undefined : startEmulator('pubsub'),
    ]);
    for (const emulator of [firestore, pubsub]) if (emulator) emulators.push(emulator);
    if (firestore) env.FIRESTORE_EMULATOR_HOST = firestore.host;
    if (pubsub) env.PUBSUB_EMULATOR_HOST = pubsub.host;
    const mocha = join(__dirname, '../../node_modules/mocha/bin/mocha.js');
    const specs = process.argv.length > 2 ? process.argv.slice(2) : ALL_SPECS;
    const args = [mocha, ...specs];
    const child = spawn(process.execPath, args, {stdio: 'inherit', env});
    const stop = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return await new Promise<number>(resolve => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    await Promise.all(emulators.map(e => e.stop()));
  }
}

main().then(
  code => process.exit(code),
  err => {
    console.error(err);
    process.exit(1);
  },
);
