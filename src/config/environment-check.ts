/**
 * SLOTGATE_* variables that match no option. Options come from the environment by name, so a
 * misspelt variable (SLOTGATE_COMAND_TIMEOUT) would otherwise be ignored without a word and the
 * default used instead: slotgate warns at start, naming the option the user most likely meant.
 */
import { OPTIONS } from './options.js';

const PREFIX = 'SLOTGATE_';
/** Set by slotgate itself for its worker processes (src/process/workers.ts), not by users. */
const INTERNAL_VARIABLES = new Set(['SLOTGATE_WORKER_INDEX']);
/** Farther than this many edits from every option, a variable gets no suggestion. */
const MAX_SUGGESTION_DISTANCE = 3;

export interface UnknownVariable {
  readonly variable: string;
  /** The closest option name (kebab-case), if one is close enough to be a likely typo. */
  readonly closest: string | null;
}

export function environmentVariableFor(option: string): string {
  return PREFIX + option.toUpperCase().replace(/-/g, '_');
}

export function unknownEnvironmentVariables(env: NodeJS.ProcessEnv): UnknownVariable[] {
  const options = ['config', ...Object.keys(OPTIONS)];
  const known = new Set(options.map(environmentVariableFor));
  const unknown: UnknownVariable[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(PREFIX) || known.has(variable) || INTERNAL_VARIABLES.has(variable)) continue;
    unknown.push({ variable, closest: closestOption(variable, options) });
  }
  return unknown;
}

/** One warning line per unknown variable, e.g. "… SLOTGATE_COMAND_TIMEOUT … did you mean SLOTGATE_COMMAND_TIMEOUT (command-timeout)?". */
export function describeUnknownVariable({ variable, closest }: UnknownVariable): string {
  const hint = closest ? `; did you mean ${environmentVariableFor(closest)} (option ${closest})?` : '';
  return `environment variable ${variable} is not a slotgate option and is ignored${hint}`;
}

function closestOption(variable: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = MAX_SUGGESTION_DISTANCE + 1;
  for (const option of options) {
    const distance = editDistance(variable, environmentVariableFor(option));
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
