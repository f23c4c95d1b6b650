/**
 * What a started slotgate must undo, in one ordered list: each start-up step registers its own
 * undo as it succeeds, and closing runs them backwards — after a failed start (only what was
 * started is undone) and at shutdown alike. One list, so clean-up is written once.
 */
export class Closers {
  private readonly undos: { name: string; undo: () => void | Promise<void> }[] = [];
  private closing: Promise<void> | null = null;

  /** Registers the undo of a step that has just succeeded. */
  add(name: string, undo: () => void | Promise<void>): void {
    this.undos.push({ name, undo });
  }

  /** Runs every undo, newest first, once; one that throws does not stop the others. */
  closeAll(onError: (name: string, err: unknown) => void = () => undefined): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, undo } of this.undos.reverse()) {
        try {
          await undo();
        } catch (err) {
          onError(name, err);
        }
      }
    })();
    return this.closing;
  }
}
