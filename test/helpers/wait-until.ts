// Polls `condition` every 50 ms until it holds; fails, naming `what`, after `timeoutMs`. For state a
// test cannot be told about (a failover seen, a process's log line), never as a wall-clock assertion.
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
