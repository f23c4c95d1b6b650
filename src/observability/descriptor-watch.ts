/**
 * Notices when the process is out of file descriptors.
 *
 * When accept() fails with EMFILE/ENFILE, libuv quietly accepts and closes the waiting
 * connections (its reserved-descriptor trick) and usually tells Node nothing, so clients are
 * dropped without a trace. So once a second we try to open /dev/null: when that fails with
 * EMFILE/ENFILE the process is at its limit, new clients are being dropped, and someone should
 * hear about it. (One open and close a second costs next to nothing.)
 */
import fs from 'node:fs';

const CHECK_INTERVAL_MS = 1000;

export function isDescriptorExhaustion(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** Calls `onExhausted` on every check that finds no descriptor free; returns the stop function. */
export function watchDescriptors(onExhausted: (code: string) => void, intervalMs = CHECK_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    try {
      fs.closeSync(fs.openSync('/dev/null', 'r'));
    } catch (err) {
      if (isDescriptorExhaustion(err)) onExhausted((err as NodeJS.ErrnoException).code!);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
