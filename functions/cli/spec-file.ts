/**
 * Job spec files (`job.yaml`, `job.json`): a `.json` file is read as JSON (`JSON.parse`: YAML would accept what
 * JSON refuses, such as unquoted values, comments or folded strings, and read them its own way), anything else
 * as YAML 1.2, and both are validated with the API's own `jobSpecSchema`, so every error names `file:line:col`.
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { JobSpec } from '../core/model';
import { jobSpecSchema } from '../http/schemas';
import { CliError } from './io';
import { jsonSyntaxError } from './json-syntax';

/** One problem in a spec file, with its 1-based position. */
export interface SpecProblem {
  line: number;
  col: number;
  /** `tasks[1].provider`, or empty for the whole document. */
  path: string;
  message: string;
}

/**
 * A spec file that cannot be used: YAML or JSON syntax errors (`code` `YAML_SYNTAX`, `JSON_SYNTAX`) or schema
 * violations (`VALIDATION_FAILED`), each with its line and column.
 */
export class SpecFileError extends CliError {
  constructor(
    code: 'YAML_SYNTAX' | 'JSON_SYNTAX' | 'VALIDATION_FAILED',
    readonly file: string,
    readonly problems: SpecProblem[],
    source: string,
  ) {
    super(code, SpecFileError.describe(file, problems, source));
    this.name = 'SpecFileError';
  }

  private static describe(file: string, problems: SpecProblem[], source: string): string {
    const lines = source.split(/\r?\n/);
    const first = problems.length === 1 ? '' : `${problems.length} problems in ${file}\n`;
    return (
      first +
      problems
        .map((p) => {
          const where = `${file}:${p.line}:${p.col}`;
          const text = lines[p.line - 1];
          const snippet = text !== undefined && text.trim().length > 0 ? `\n  ${p.line} | ${text}\n  ${' '.repeat(String(p.line).length)} | ${' '.repeat(Math.max(0, p.col - 1))}^` : '';
          return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}${snippet}`;
        })
        .join('\n')
    );
  }
}

/** `['tasks', 1, 'provider']` → `tasks[1].provider`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function keyNode(doc: Document, path: ReadonlyArray<PropertyKey>, key: string): Node | undefined {
  const parent = path.length ? doc.getIn(path as unknown[], true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
  return (pair?.key as Node | undefined) ?? undefined;
}

/** The node at `path`, or the nearest ancestor that exists (a missing key points at the object that lacks it). */
function nodeAt(doc: Document, path: ReadonlyArray<PropertyKey>): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node))) {
      // A value that exists: point at it; for a missing key, at the key's parent collection.
      return node as Node;
    }
  }
  return undefined;
}

/** Whether a file is read as JSON: by its name, since JSON and YAML read some texts differently. */
export function isJsonFile(file: string): boolean {
  return /\.json$/i.test(file);
}

/** A JSON text's value, or a `JSON_SYNTAX` error at the first place it breaks the grammar. */
function parseJson(text: string, source: string, file: string, pos: (offset: number) => { line: number; col: number }): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const found = jsonSyntaxError(text) ?? { offset: 0, message: (err as Error).message };
    throw new SpecFileError('JSON_SYNTAX', file, [{ ...pos(found.offset), path: '', message: found.message }], source);
  }
}

/**
 * Parses and validates a job spec from YAML text, or from JSON text when `file` ends in `.json`.
 * @param source - the file's text
 * @param file - the name shown in errors (its extension chooses JSON or YAML; `<stdin>` is YAML, which reads most JSON)
 * @throws SpecFileError with `file:line:col` for syntax errors and schema violations
 * @example
 * ```ts
 * const spec = parseJobSpec('name: one\nowner: sqc\ntasks:\n  - { name: task_1, provider: demo }\n', 'job.yaml');
 * ```
 */
export function parseJobSpec(source: string, file: string): JobSpec {
  const json = isJsonFile(file);
  // Editors on Windows may start a JSON file with a byte order mark, which JSON.parse refuses: it becomes a space,
  // so every offset still counts in the file as it is.
  const text = json ? source.replace(/^\uFEFF/, ' ') : source;
  const lineCounter = new LineCounter();
  // For JSON too: the YAML document of a JSON text (valid JSON is valid YAML 1.2) locates schema violations.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: !json });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  let value: unknown;
  if (json) value = parseJson(text, source, file, pos);
  else {
    if (doc.errors.length > 0) {
      const problems = doc.errors.map((e) => ({ ...pos(e.pos[0]), path: '', message: e.message.replace(/\s+/g, ' ').trim() }));
      problems.sort((a, b) => a.line - b.line || a.col - b.col);
      throw new SpecFileError('YAML_SYNTAX', file, problems, source);
    }
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new SpecFileError('YAML_SYNTAX', file, [{ line: 1, col: 1, path: '', message: (err as Error).message }], source);
    }
  }
  if (value === null || value === undefined) {
    throw new SpecFileError('VALIDATION_FAILED', file, [{ line: 1, col: 1, path: '', message: 'the file holds no job: a job spec is an object with name, owner and tasks or children' }], source);
  }
  const parsed = jobSpecSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems: SpecProblem[] = parsed.error.issues.map((issue) => {
    const path = issue.path;
    let node: Node | undefined;
    let message = issue.message;
    let shownPath = formatPath(path);
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      node = keyNode(doc, path, issue.keys[0]!);
      shownPath = formatPath([...path, issue.keys[0]!]);
      message = issue.keys.length === 1 ? `unknown key ${issue.keys[0]}` : `unknown keys ${issue.keys.join(', ')}`;
    }
    node ??= nodeAt(doc, path);
    const offset = node?.range?.[0] ?? 0;
    const missing = node !== undefined && path.length > 0 && doc.getIn(path as unknown[], true) === undefined;
    if (missing && issue.code === 'invalid_type') message = 'required';
    return { ...pos(offset), path: shownPath, message };
  });
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new SpecFileError('VALIDATION_FAILED', file, problems, source);
}
