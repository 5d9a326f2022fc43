/**
 * Runs the WorkerMessages, Pub/Sub and end-to-end benchmark modules on their own:
 * starts its own Firestore and Pub/Sub emulators (stopped at the end, also on error),
 * and prints each module's tables (Markdown) on stdout; progress goes to stderr.
 *
 *   node build/scripts/benchExtra.js [workerMessages] [pubsub] [endToEnd]   (default: all three)
 */
import {performance} from 'perf_hooks';
import {RunningEmulator, startEmulator} from '../src/dev/emulators';
import {benchEndToEnd, endToEndTable} from './bench/endToEnd';
import {log, runMain, withServer} from './bench/harness';
import {benchPubSub, pubsubTable} from './bench/pubsub';
import {benchWorkerMessages, workerMessagesTable} from './bench/workerMessages';

const MODULES = ['workerMessages', 'pubsub', 'endToEnd'] as const;
type Module = (typeof MODULES)[number];

function selected(argv: readonly string[]): Module[] {
  if (argv.length === 0) return [...MODULES];
  return argv.map(name => {
    const found = MODULES.find(m => m === name);
    if (!found) throw new Error(`unknown module ${JSON.stringify(name)}; choose from ${MODULES.join(', ')}`);
    return found;
  });
}

async function main(): Promise<void> {
  const modules = selected(process.argv.slice(2));
  const t0 = performance.now();
  const emulators: RunningEmulator[] = [];
  const sections: string[] = [];
  const timings: string[] = [];
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await run();
    const seconds = (performance.now() - started) / 1000;
    timings.push(`${name} ${seconds.toFixed(1)} s`);
    log(`${name} took ${seconds.toFixed(1)} s`);
    return result;
  };
  try {
    const [firestore, pubsub] = await Promise.all([startEmulator('firestore'), startEmulator('pubsub')]);
    emulators.push(firestore, pubsub);

    if (modules.includes('workerMessages')) {
      // No background sweeps: they would add reads to the counts.
      const setup = {firestoreHost: firestore.host, stateProject: 'gaffer-bench', options: {sweep: false}};
      const result = await withServer(setup, server => timed('workerMessages', () => benchWorkerMessages({server, log})));
      sections.push(`## WorkerMessages (HTTP, ${result.concurrency} in flight, ${result.workers} distinct workers)\n\n${workerMessagesTable(result)}`);
    }
    if (modules.includes('pubsub')) {
      const result = await timed('pubsub', () => benchPubSub({firestoreHost: firestore.host, pubsubHost: pubsub.host, log}));
      sections.push(`## Completion messages on Pub/Sub\n\n${pubsubTable(result)}`);
    }
    if (modules.includes('endToEnd')) {
      const result = await timed('endToEnd', () => benchEndToEnd({firestoreHost: firestore.host, pubsubHost: pubsub.host, log}));
      sections.push(`## End to end with gaffer-worker processes\n\n${endToEndTable(result)}`);
    }
  } finally {
    await Promise.all(emulators.map(e => e.stop()));
  }
  console.log(sections.join('\n\n'));
  console.log(`\nbenchExtra took ${((performance.now() - t0) / 1000).toFixed(0)} s (${timings.join(', ')}).`);
}

runMain(main);
