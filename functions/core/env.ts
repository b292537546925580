/** Env inheritance: job env flows into children and tasks; the inner layer wins. @module */
import type { Env } from './json';

/** Shallow merge of env layers, outermost first. */
export function mergeEnv(...layers: Array<Env | undefined>): Env {
  return Object.assign({}, ...layers.filter((l): l is Env => l !== undefined)) as Env;
}
