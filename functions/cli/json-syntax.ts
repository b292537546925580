/**
 * Where a JSON text first breaks the JSON grammar (RFC 8259), with a message that does not depend on the Node
 * version: `JSON.parse` reads the value, but its errors carry no position for some mistakes ("Unexpected token")
 * and change wording between V8 releases.
 * @module
 */

/** The first syntax error of a JSON text. */
export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  offset: number;
  message: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * Scans `text` as JSON.
 * @returns the first syntax error, or undefined when `text` is one valid JSON value
 * @example
 * jsonSyntaxError('{"a": 1,}'); // { offset: 8, message: "expected a property name in double quotes, found '}'" }
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const found = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (char: string, what: string) => {
    ws();
    if (text[i] !== char) throw new Stop(i, `expected ${what}, found ${found()}`);
    i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Stop(i, 'a string is not closed');
      if (c === '"') return void i++;
      if (c === '\\') {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) throw new Stop(i, 'invalid escape in a string');
        i = ESCAPE.lastIndex;
      } else if (c < ' ') throw new Stop(i, 'a control character (a tab or a line break) inside a string must be escaped');
      else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Stop(i, `expected a property name in double quotes, found ${found()}`);
        string();
        expect(':', "':' after a property name");
        value();
        ws();
        if (text[i] === '}') return void i++;
        expect(',', "',' or '}' after a property value");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ']') return void i++;
        expect(',', "',' or ']' after an array element");
      }
    }
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    NUMBER.lastIndex = i;
    if (c !== undefined && NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    throw new Stop(i, `expected a value, found ${found()}`);
  };
  try {
    value();
    ws();
    if (i < text.length) throw new Stop(i, `unexpected ${found()} after the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    // Nesting deeper than the stack: JSON.parse's own message will do.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}
