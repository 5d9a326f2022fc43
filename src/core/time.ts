/** Time: the system clock, and the proto3 JSON Duration and Timestamp forms. */
import type {Clock} from './ports';

export {formatDuration, formatTimestamp, parseDuration} from '../wire/proto3';

/** Real time. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>(resolve => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, {once: true});
    }),
};
