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
/**
 * The stamp of the callback under way, -1 when none was read yet. A Float64Array slot, not a
 * module variable: a double stored in a variable is boxed (a heap number per callback).
 */
const stamp = new Float64Array([-1]);

const forget = (): void => {
  stamp[0] = -1;
};

/**
 * Forgets the stamp when the callback returns, through V8's own microtask queue. Not
 * queueMicrotask: Node wraps each such callback in an AsyncResource and a bound function, which at
 * pipeline 1 (two or three callbacks per request) was a quarter of what a request allocated and
 * costs three times as much as a promise reaction (issue #22).
 */
const settled = Promise.resolve();

export function callbackNow(): number {
  if (stamp[0]! < 0) {
    stamp[0] = performance.now();
    void settled.then(forget);
  }
  return stamp[0]!;
}
