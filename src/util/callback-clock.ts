/**
 * performance.now(), read at most once per event-loop callback.
 *
 * Why: the hot path stamps each request several times (decoded, sent, answered; issue #12), and a
 * pipeline of 16 requests in one read made 50-odd clock reads of ~50 ns each. Every request handled
 * in one callback (one socket read, one setImmediate) is stamped with the time that callback began
 * to stamp: the first read caches the value and a microtask, which Node runs as soon as the
 * callback returns, forgets it.
 *
 * So a duration measured with it runs from the callback in which something started to the one in
 * which it ended: exact at the scale of I/O waits, and 0 for work begun and finished in one callback.
 * Deadlines and timeouts do not use it.
 */
let stamp = -1;

const forget = (): void => {
  stamp = -1;
};

export function callbackNow(): number {
  if (stamp < 0) {
    stamp = performance.now();
    queueMicrotask(forget);
  }
  return stamp;
}
