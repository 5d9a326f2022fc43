/** The store contract on the in-memory stores the core's unit tests run on. */
import {memoryStores} from '../../src/store/memory';
import {describeStoreContract} from '../contract/storeContract';

describeStoreContract('memory', async () => ({stores: memoryStores()}));
