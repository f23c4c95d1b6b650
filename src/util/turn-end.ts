/**
 * Work deferred to the end of the event loop's poll phase (setImmediate time), for many objects
 * under one setImmediate.
 *
 * Why (issue #22): every backend connection with queued commands, and every client whose replies
 * came from several nodes, flushed from a setImmediate of its own: per loop turn, one Immediate
 * object and one async-resource record per connection, where one for all of them does the same.
 * Tasks run in the order they were deferred, as their own setImmediates ran; a task deferred while
 * the tasks run waits for the next turn, as a setImmediate made inside one does.
 */

import { clearSlots } from './clear-slots.js';

/** An object with work to do at the end of the turn (a node connection's flush, a client's). */
export interface TurnEndTask {
  atTurnEnd(): void;
}

// Filled by index and counted, not pushed and emptied: `length = 0` would drop an array's storage.
let due: (TurnEndTask | undefined)[] = [];
let dueCount = 0;
/** The array of the last run, cleared, reused as the next `due`. */
let spare: (TurnEndTask | undefined)[] = [];
let scheduled = false;

/**
 * Runs `task.atTurnEnd()` at the end of this turn's poll phase. The caller keeps its own "already
 * deferred" flag: a task deferred twice runs twice.
 */
export function deferToTurnEnd(task: TurnEndTask): void {
  due[dueCount++] = task;
  if (!scheduled) {
    scheduled = true;
    setImmediate(runDue);
  }
}

function runDue(): void {
  const tasks = due;
  const count = dueCount;
  due = spare;
  dueCount = 0;
  scheduled = false;
  for (let i = 0; i < count; i++) runOne(tasks[i]!);
  clearSlots(tasks, count); // nothing run stays referenced
  spare = tasks;
}

/** One task's fault is its own: the tasks after it still run (each had a setImmediate of its own before). */
function runOne(task: TurnEndTask): void {
  try {
    task.atTurnEnd();
  } catch (err) {
    // Rethrown outside the run, as an exception from a setImmediate of its own would surface.
    queueMicrotask(() => {
      throw err;
    });
  }
}
