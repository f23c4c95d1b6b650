/**
 * The one reconnect back-off of slotgate's subscribed backend connections (the pub/sub hub's
 * links, the peer bus, the Sentinel watch): a retry after 0.1 s, doubling up to 2 s, back to the
 * first delay once the connection works again. Owns its one timer.
 */
export const FIRST_RETRY_MS = 100;
export const LAST_RETRY_MS = 2000;

export class ReconnectBackoff {
  private delayMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | null = null;

  /** Runs `retry` after the current delay, unless a retry is already waiting; the next delay doubles. */
  schedule(retry: () => void): void {
    if (this.timer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(LAST_RETRY_MS, this.delayMs * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, delay);
    this.timer.unref();
  }

  /** The connection works: the next failure is retried quickly again. */
  reset(): void {
    this.delayMs = FIRST_RETRY_MS;
  }

  /** Forgets a waiting retry (the owner stops). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
