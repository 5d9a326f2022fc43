/** What integration tests know of the worker samples Gaffer keeps from WorkerMessages. */
import {SAMPLE_KINDS, SampleKind} from '../../src/wire/workers';

/** Every kind of sample, in the order SampleKind lists them. */
export const ALL_SAMPLE_KINDS: readonly SampleKind[] = SAMPLE_KINDS;
