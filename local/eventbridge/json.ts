/**
 * A streaming JSON reader that reports where it is the way EventBridge does.
 *
 * EventBridge compiles an event pattern by walking it token by token with Jackson (through Event Ruler's
 * `JsonRuleCompiler`), and every InvalidEventPatternException it returns carries Jackson's location of the
 * token being read: `Event pattern is not valid. Reason: "int" must be an object or an array\n at [Source:
 * (String)"{"int": 42}"; line: 1, column: 11]` (recorded AWS answers). To give the same answer the local bus
 * reads patterns with the same token discipline:
 *
 *  - after a field name the reader also consumes the `:` and the first character of the value (a string's
 *    opening quote, a bracket, a whole number or literal), so an error about the value reports the position
 *    just past that;
 *  - a string value is read lazily: `nextToken()` consumes its opening quote only, `text()` the rest;
 *  - positions are 1-based lines and columns, a column counting UTF-16 code units (Java chars) consumed + 1;
 *  - the source shown is the input's first 500 characters (`[truncated N chars]` after them).
 *
 * Malformed JSON fails with Jackson's wording ("Unrecognized token 'x': was expecting (JSON String, Number,
 * Array, Object or token 'null', 'true' or 'false')", "Unexpected character ('}' (code 125)): ...").
 */

export type JsonToken =
  | 'START_OBJECT'
  | 'END_OBJECT'
  | 'START_ARRAY'
  | 'END_ARRAY'
  | 'FIELD_NAME'
  | 'VALUE_STRING'
  | 'VALUE_NUMBER_INT'
  | 'VALUE_NUMBER_FLOAT'
  | 'VALUE_TRUE'
  | 'VALUE_FALSE'
  | 'VALUE_NULL';

export const isNumericToken = (t: JsonToken | undefined): boolean =>
  t === 'VALUE_NUMBER_INT' || t === 'VALUE_NUMBER_FLOAT';

const SNIPPET = 500;
const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/** A Jackson JsonParseException: `reason` plus ` at [Source: ...; line: L, column: C]`. */
export class JsonLocatedError extends Error {
  constructor(
    readonly reason: string,
    readonly location: string,
  ) {
    super(`${reason}\n at ${location}`);
    this.name = 'JsonLocatedError';
  }
}

type Context = {
  readonly kind: 'root' | 'object' | 'array';
  count: number;
  /** where its opening bracket is */
  readonly line?: number;
  readonly column?: number;
};

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Java's Character.isJavaIdentifierPart, close enough for the letters, digits and marks tokens are made of. */
const isIdentifierPart = (ch: string): boolean => /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Sc}]/u.test(ch);

function charDescription(code: number): string {
  if (code < 0x20 || code === 0x7f) return `(CTRL-CHAR, code ${code})`;
  const ch = String.fromCharCode(code);
  if (code > 255) return `'${ch}' (code ${code} / 0x${code.toString(16)})`;
  return `'${ch}' (code ${code})`;
}

export class JsonReader {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private readonly stack: Context[] = [{ kind: 'root', count: 0 }];
  private current: JsonToken | undefined;
  private pending: JsonToken | undefined;
  private pendingContext: Context | undefined;
  private name = '';
  private value = '';
  /** a string value whose opening quote is consumed and the rest not yet */
  private incomplete = false;

  constructor(readonly source: string) {}

  /** The current token (undefined before the first and after the last). */
  get token(): JsonToken | undefined {
    return this.current;
  }

  /** The field name of the current FIELD_NAME (and of the value that follows it). */
  get currentName(): string {
    return this.name;
  }

  /** Jackson's `getText()`: a string's value (read to its closing quote), a number's digits, a literal. */
  text(): string {
    if (this.incomplete) this.finishString();
    switch (this.current) {
      case 'FIELD_NAME':
        return this.name;
      case 'VALUE_STRING':
      case 'VALUE_NUMBER_INT':
      case 'VALUE_NUMBER_FLOAT':
        return this.value;
      case 'VALUE_TRUE':
        return 'true';
      case 'VALUE_FALSE':
        return 'false';
      case 'VALUE_NULL':
        return 'null';
      case 'START_OBJECT':
        return '{';
      case 'END_OBJECT':
        return '}';
      case 'START_ARRAY':
        return '[';
      case 'END_ARRAY':
        return ']';
      default:
        return '';
    }
  }

  /** `[Source: (String)"..."; line: L, column: C]` for the position after what was consumed (or `back` before it). */
  location(back = 0): string {
    return this.describe(this.line, this.pos - back - this.lineStart + 1);
  }

  private describe(line: number, column: number): string {
    const snippet = this.source.length > SNIPPET ? this.source.slice(0, SNIPPET) : this.source;
    const truncated = this.source.length > SNIPPET ? `[truncated ${this.source.length - SNIPPET} chars]` : '';
    return `[Source: (String)"${snippet}"${truncated}; line: ${line}, column: ${column}]`;
  }

  /** A context opened by the bracket just consumed. */
  private open(kind: 'object' | 'array'): Context {
    return { kind, count: 0, line: this.line, column: this.pos - this.lineStart };
  }

  /** Throws a JsonLocatedError at the current position (Event Ruler's `barf`). */
  fail(reason: string, back = 0): never {
    throw new JsonLocatedError(reason, this.location(back));
  }

  /** Jackson's `nextToken()`; undefined at the end of the input. */
  nextToken(): JsonToken | undefined {
    if (this.current === 'FIELD_NAME') {
      const t = this.pending!;
      this.pending = undefined;
      if (t === 'START_OBJECT' || t === 'START_ARRAY') this.stack.push(this.pendingContext!);
      this.pendingContext = undefined;
      this.current = t;
      return t;
    }
    if (this.incomplete) this.finishString();
    let c = this.skipWs();
    if (c < 0) {
      const ctx = this.top();
      if (ctx.kind !== 'root') {
        const start = this.describe(ctx.line ?? 1, ctx.column ?? 1);
        this.fail(
          `Unexpected end-of-input: expected close marker for ${ctx.kind === 'object' ? 'Object' : 'Array'} (start marker at ${start})`,
        );
      }
      this.current = undefined;
      return undefined;
    }
    const ctx = this.top();
    if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      const want = c === 0x5d ? 'array' : 'object';
      if (ctx.kind !== want) {
        const expected = ctx.kind === 'object' ? '}' : ctx.kind === 'array' ? ']' : 'EOF';
        const desc = ctx.kind === 'object' ? 'Object' : ctx.kind === 'array' ? 'Array' : 'root';
        const start =
          ctx.kind === 'root'
            ? ''
            : ` (for ${desc} starting at ${this.describe(ctx.line ?? 1, ctx.column ?? 1)})`;
        this.fail(`Unexpected close marker '${String.fromCharCode(c)}': expected '${expected}'${start}`);
      }
      this.stack.pop();
      this.current = c === 0x5d ? 'END_ARRAY' : 'END_OBJECT';
      return this.current;
    }
    if (ctx.count > 0) {
      if (c !== 0x2c /* , */) {
        if (ctx.kind === 'root') {
          this.fail(
            `Unexpected character (${charDescription(c)}): expected space separating root-level values`,
            1,
          );
        }
        this.fail(
          `Unexpected character (${charDescription(c)}): was expecting comma to separate ${ctx.kind === 'object' ? 'Object' : 'Array'} entries`,
          1,
        );
      }
      c = this.skipWs();
      if (c < 0)
        this.fail(
          `Unexpected end-of-input within/between ${ctx.kind === 'object' ? 'Object' : 'Array'} entries`,
        );
    }
    ctx.count++;
    if (ctx.kind === 'object') {
      if (c !== 0x22) {
        this.fail(
          `Unexpected character (${charDescription(c)}): was expecting double-quote to start field name`,
          1,
        );
      }
      this.name = this.readString(true);
      c = this.skipWs();
      if (c !== 0x3a /* : */) {
        if (c < 0)
          this.fail('Unexpected end-of-input: was expecting a colon to separate field name and value');
        this.fail(
          `Unexpected character (${charDescription(c)}): was expecting a colon to separate field name and value`,
          1,
        );
      }
      c = this.skipWs();
      if (c < 0) this.fail('Unexpected end-of-input: expected a value');
      this.pending = this.valueToken(c);
      if (this.pending === 'START_OBJECT') this.pendingContext = this.open('object');
      else if (this.pending === 'START_ARRAY') this.pendingContext = this.open('array');
      this.current = 'FIELD_NAME';
      return 'FIELD_NAME';
    }
    const t = this.valueToken(c);
    if (t === 'START_OBJECT') this.stack.push(this.open('object'));
    else if (t === 'START_ARRAY') this.stack.push(this.open('array'));
    this.current = t;
    return t;
  }

  /** Skips the current value (an object or array with everything in it). */
  skipChildren(): void {
    if (this.current !== 'START_OBJECT' && this.current !== 'START_ARRAY') return;
    let depth = 1;
    while (depth > 0) {
      const t = this.nextToken();
      if (t === undefined) return;
      if (t === 'START_OBJECT' || t === 'START_ARRAY') depth++;
      else if (t === 'END_OBJECT' || t === 'END_ARRAY') depth--;
    }
  }

  // ------------------------------------------------------------------ characters

  private top(): Context {
    return this.stack[this.stack.length - 1]!;
  }

  /** Skips whitespace and consumes the next character; -1 at the end. */
  private skipWs(): number {
    while (this.pos < this.source.length) {
      const c = this.source.charCodeAt(this.pos++);
      if (c === 0x0a) {
        this.line++;
        this.lineStart = this.pos;
        continue;
      }
      if (c === 0x0d) {
        if (this.source.charCodeAt(this.pos) === 0x0a) this.pos++;
        this.line++;
        this.lineStart = this.pos;
        continue;
      }
      if (isWs(c)) continue;
      return c;
    }
    return -1;
  }

  /** The token a value starting with (consumed) character `c` is; reads numbers and literals whole. */
  private valueToken(c: number): JsonToken {
    switch (c) {
      case 0x22:
        this.incomplete = true;
        this.value = '';
        return 'VALUE_STRING';
      case 0x5b:
        return 'START_ARRAY';
      case 0x7b:
        return 'START_OBJECT';
      case 0x74:
        this.matchLiteral('true');
        return 'VALUE_TRUE';
      case 0x66:
        this.matchLiteral('false');
        return 'VALUE_FALSE';
      case 0x6e:
        this.matchLiteral('null');
        return 'VALUE_NULL';
      case 0x2d:
        return this.readNumber();
      default:
        if (c >= 0x30 && c <= 0x39) return this.readNumber();
    }
    if (c === 0x7d) this.fail(`Unexpected character (${charDescription(c)}): expected a value`, 1);
    const ch = String.fromCharCode(c);
    if (isIdentifierPart(ch)) this.invalidToken(ch);
    this.fail(`Unexpected character (${charDescription(c)}): expected a valid value ${VALID_VALUES}`, 1);
  }

  /** `true`, `false`, `null` (the first character consumed), followed by no identifier character. */
  private matchLiteral(word: string): void {
    for (let i = 1; i < word.length; i++) {
      if (this.source[this.pos] !== word[i]) this.invalidToken(word.slice(0, i));
      this.pos++;
    }
    const next = this.source[this.pos];
    if (next !== undefined && isIdentifierPart(next)) this.invalidToken(word);
  }

  /** "Unrecognized token": the rest of the identifier is read into the message. */
  private invalidToken(start: string): never {
    let token = start;
    while (this.pos < this.source.length && token.length < 256) {
      const ch = this.source[this.pos]!;
      if (!isIdentifierPart(ch)) break;
      token += ch;
      this.pos++;
    }
    this.fail(`Unrecognized token '${token}': was expecting ${VALID_VALUES}`);
  }

  private readNumber(): JsonToken {
    const start = this.pos - 1;
    let i = this.pos;
    const s = this.source;
    const digit = (k: number) => s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39;
    if (s[start] === '-') {
      if (!digit(i)) {
        this.pos = i + (i < s.length ? 1 : 0);
        if (i >= s.length) this.fail('Unexpected end-of-input in a Number value');
        this.fail(
          `Unexpected character (${charDescription(s.charCodeAt(i))}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`,
          1,
        );
      }
    } else i = start;
    if (s[i] === '0' && digit(i + 1)) {
      this.pos = i + 2;
      this.fail('Invalid numeric value: Leading zeroes not allowed', 1);
    }
    while (digit(i)) i++;
    let float = false;
    if (s[i] === '.') {
      float = true;
      i++;
      if (!digit(i)) {
        this.pos = i + (i < s.length ? 1 : 0);
        this.fail(
          `Unexpected character (${charDescription(s.charCodeAt(i))}) in numeric value: Decimal point not followed by a digit`,
          1,
        );
      }
      while (digit(i)) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      float = true;
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!digit(i)) {
        this.pos = i + (i < s.length ? 1 : 0);
        this.fail(
          `Unexpected character (${charDescription(s.charCodeAt(i))}) in numeric value: Exponent indicator not followed by a digit`,
          1,
        );
      }
      while (digit(i)) i++;
    }
    this.value = s.slice(start, i);
    this.pos = i;
    return float ? 'VALUE_NUMBER_FLOAT' : 'VALUE_NUMBER_INT';
  }

  private finishString(): void {
    this.incomplete = false;
    this.value = this.readString(false);
  }

  /** Reads a string whose opening quote is consumed, through its closing quote. */
  private readString(isName: boolean): string {
    const s = this.source;
    let out = '';
    let from = this.pos;
    while (true) {
      if (this.pos >= s.length) {
        this.fail(
          isName
            ? 'Unexpected end-of-input in field name'
            : 'Unexpected end-of-input: was expecting closing quote for a string value',
        );
      }
      const c = s.charCodeAt(this.pos++);
      if (c === 0x22) {
        out += s.slice(from, this.pos - 1);
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(from, this.pos - 1);
        out += this.readEscape();
        from = this.pos;
        continue;
      }
      if (c < 0x20) {
        this.fail(
          `Illegal unquoted character (${charDescription(c)}): has to be escaped using backslash to be included in ${isName ? 'name' : 'string value'}`,
          1,
        );
      }
    }
  }

  private readEscape(): string {
    const s = this.source;
    if (this.pos >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
    const c = s[this.pos++]!;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        return c;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        let code = 0;
        for (let k = 0; k < 4; k++) {
          if (this.pos >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
          const h = s[this.pos++]!;
          const v = Number.parseInt(h, 16);
          if (Number.isNaN(v) || !/[0-9a-fA-F]/.test(h)) {
            this.fail(
              `Unexpected character (${charDescription(h.charCodeAt(0))}): expected a hex-digit for character escape sequence`,
              1,
            );
          }
          code = code * 16 + v;
        }
        return String.fromCharCode(code);
      }
      default:
        this.fail(`Unrecognized character escape ${charDescription(c.charCodeAt(0))}`, 1);
    }
  }
}

/** A JSON number's text as a double, when the double holds exactly the decimal value written. */
export function exactDouble(text: string): number | undefined {
  const n = Number(text);
  if (!Number.isFinite(n)) return undefined;
  return decimalKey(text) === decimalKey(String(n)) ? (n === 0 ? 0 : n) : undefined;
}

/** A canonical form of a decimal number's value: sign, significant digits, exponent. */
function decimalKey(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  let digits = `${m[2] ?? ''}${m[3] ?? ''}`;
  let exponent = Number(m[4] ?? 0) - (m[3] ?? '').length;
  const lead = digits.search(/[1-9]/);
  if (lead < 0) return '0';
  digits = digits.slice(lead);
  const trail = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trail);
  exponent += trail;
  return `${m[1] === '-' ? '-' : ''}${digits}e${exponent}`;
}
