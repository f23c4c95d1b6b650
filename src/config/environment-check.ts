/**
 * SLOTGATE_* variables that match no option. Options come from the environment by name, so a
 * misspelt variable (SLOTGATE_COMAND_TIMEOUT) would otherwise be ignored without a word and the
 * default used instead: slotgate warns at start, naming the option the user most likely meant.
 */
import { OPTIONS } from './options.js';
import { closestName } from './suggest.js';

const PREFIX = 'SLOTGATE_';
/** Set by slotgate itself for its worker processes (src/process/workers.ts), not by users. */
const INTERNAL_VARIABLES = new Set(['SLOTGATE_WORKER_INDEX']);

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
  const byVariable = new Map(options.map((option) => [environmentVariableFor(option), option]));
  const closest = closestName(variable, byVariable.keys());
  return closest === null ? null : byVariable.get(closest)!;
}
