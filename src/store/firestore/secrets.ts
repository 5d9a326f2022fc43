/** Secrets generated once and shared by every instance: gaffer/secrets (one field per secret). */
import {Firestore} from '@google-cloud/firestore';
import type {SecretStore} from '../../core/ports';
import {Counters} from './connection';

const SECRETS_DOC = 'gaffer/secrets';

export class FirestoreSecretStore implements SecretStore {
  private readonly secrets = new Map<string, Promise<string>>();

  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  secret(name: string, generate: () => string): Promise<string> {
    let pending = this.secrets.get(name);
    if (!pending) {
      pending = this.loadOrCreate(name, generate);
      pending.catch(() => this.secrets.delete(name));
      this.secrets.set(name, pending);
    }
    return pending;
  }

  /** A transaction, so two instances starting at once agree on one secret. */
  private loadOrCreate(name: string, generate: () => string): Promise<string> {
    const ref = this.db.doc(SECRETS_DOC);
    return this.db.runTransaction(async tx => {
      const snap = await tx.get(ref);
      this.counters.read(1);
      const existing: unknown = snap.get(name);
      if (typeof existing === 'string') return existing;
      const created = generate();
      tx.set(ref, {[name]: created}, {merge: true});
      this.counters.wrote(1);
      return created;
    });
  }
}
