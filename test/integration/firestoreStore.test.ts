/** The store contract on Firestore (the emulator `npm test` started). */
import type {Firestore} from '@google-cloud/firestore';
import {connectFirestore, firestoreStores} from '../../src/store/firestore';
import {describeStoreContract} from '../contract/storeContract';
import {emulatorHost} from '../helpers/gaffer';

let db: Firestore | undefined;
describeStoreContract('firestore', async () => {
  db ??= connectFirestore({projectId: 'gaffer-test', emulatorHost: emulatorHost()});
  const stores = firestoreStores(db);
  return {stores, close: async () => stores.stopListening()};
});
after(async () => db?.terminate());
