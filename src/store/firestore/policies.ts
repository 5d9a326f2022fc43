/**
 * IAM policies on Firestore: iamPolicies/{project}, one document per project whose policy
 * was ever set. The bindings are a JSON string (exempt from indexing: never queried); every
 * write is conditional on the version read, so a concurrent change is a Conflict, never lost.
 */
import {Firestore} from '@google-cloud/firestore';
import type {IamBinding, IamPolicyRecord} from '../../core/iam';
import type {PolicyStore, Versioned} from '../../core/ports';
import {Counters, conditionally, unchangedSince, versionOf} from './connection';

interface PolicyDoc {
  bindings: string;
  revision: number;
}

export class FirestorePolicyStore implements PolicyStore {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  private ref(projectId: string) {
    return this.db.collection('iamPolicies').doc(projectId);
  }

  async read(projectId: string): Promise<Versioned<IamPolicyRecord | undefined>> {
    const snap = await this.ref(projectId).get();
    this.counters.read(1);
    const doc = snap.data() as PolicyDoc | undefined;
    if (!doc) return {value: undefined};
    return {value: {bindings: JSON.parse(doc.bindings) as IamBinding[], revision: doc.revision}, version: versionOf(snap)};
  }

  async write(projectId: string, next: IamPolicyRecord, read: Versioned<IamPolicyRecord | undefined>): Promise<void> {
    const doc: PolicyDoc = {bindings: JSON.stringify(next.bindings), revision: next.revision};
    const ref = this.ref(projectId);
    await conditionally(`IAM policy of ${projectId}`, () => (read.version ? ref.update({...doc}, unchangedSince(read.version)) : ref.create(doc)));
    this.counters.wrote(1);
  }
}
