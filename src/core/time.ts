/** Time: the system clock, and the proto3 JSON Duration and Timestamp forms. */
import {sleep} from '../lib/sleep';
import type {Clock} from './ports';

export {formatDuration, formatTimestamp, parseDuration} from '../wire/proto3';

/** Real time. */
export const systemClock: Clock = {now: () => new Date(), sleep};
