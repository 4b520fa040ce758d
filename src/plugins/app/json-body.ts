import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { InputRefusedError, UnsupportedCharsetError, UnsupportedContentEncodingError } from '../../errors/app-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Top-level body members whose JSON-number value the route receives as the literal written
     * (a string such as "12.3400000000000001"), never as the float JSON.parse would round it to.
     */
    numberLiterals?: readonly string[];
  }
}

interface Frame {
  /** Member names seen so far (an object), or null (an array). */
  names: Set<string> | null;
  /** Where inside this container the scan is: the current member name, or array index. */
  at: string | number;
}

/** The first member name an object repeats, as a dotted path, and the named top-level number literals. */
interface JsonScan {
  duplicate?: string;
  literals: Map<string, string>;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char === 0x5c) i += 1;
    else if (char === 0x22) return i + 1;
  }
  return text.length;
}

function scalarEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && !',]} \t\r\n'.includes(text.charAt(i))) i += 1;
  return i;
}

/**
 * Walks `text`, which JSON.parse has already accepted, without recursion (nesting depth costs no
 * stack): finds the first repeated member name and the literal text of the top-level members
 * named in `literalNames` whose value is a number.
 */
function scanJson(text: string, literalNames: readonly string[] = []): JsonScan {
  const stack: Frame[] = [];
  const literals = new Map<string, string>();
  let expectName = false;
  for (let i = 0; i < text.length;) {
    const char = text.charAt(i);
    const top = stack.at(-1);
    if (char === '{' || char === '[') {
      stack.push({ names: char === '{' ? new Set() : null, at: 0 });
      expectName = char === '{';
      i += 1;
    } else if (char === '}' || char === ']') {
      stack.pop();
      i += 1;
    } else if (char === ',') {
      if (top?.names) expectName = true;
      else if (top) top.at = Number(top.at) + 1;
      i += 1;
    } else if (char === '"') {
      const end = stringEnd(text, i);
      if (expectName && top?.names) {
        const raw = text.slice(i + 1, end - 1);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        if (top.names.has(name)) return { duplicate: [...stack.slice(0, -1).map((frame) => frame.at), name].join('.'), literals };
        top.names.add(name);
        top.at = name;
        expectName = false;
      }
      i = end;
    } else if (char === ':' || char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      i += 1;
    } else {
      const end = scalarEnd(text, i);
      if (stack.length === 1 && top?.names && typeof top.at === 'string' && literalNames.includes(top.at) && /^[-\d]/.test(char)) {
        literals.set(top.at, text.slice(i, end));
      }
      i = end;
    }
  }
  return { literals };
}

/** Whether `text` is JSON, which Fastify's parser refused anyway: it holds a prototype-poisoning member. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes a body as UTF-8, refusing bytes that are not: a lenient decoder would turn them into
 * U+FFFD, and a shopper's name sent to Flinks that way can no longer match the account holder's.
 * A byte order mark is kept, so JSON.parse refuses it as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The charset parameter of a Content-Type, lower-cased and unquoted, when there is one. */
function charsetOf(contentType: string | undefined): string | undefined {
  const value = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType ?? '')?.[2];
  return value?.toLowerCase();
}

/**
 * A content coding the body is declared in, other than none: nothing here decompresses, so a
 * gzip body would be judged as text (a misleading 400), and a plain one declared gzip taken as it is.
 */
function codingOf(contentEncoding: string | undefined): string | undefined {
  const coding = contentEncoding?.trim().toLowerCase();
  return coding === undefined || coding === '' || coding === 'identity' ? undefined : coding;
}

function decodedBody(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): string | Error {
  // Each named in the answer, cut short: it is the client's own text.
  const coding = codingOf(contentEncoding);
  if (coding !== undefined) return new UnsupportedContentEncodingError(coding.slice(0, 40));
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return new UnsupportedCharsetError(charset.slice(0, 40));
  try {
    return utf8.decode(body);
  } catch {
    return new InputRefusedError('The body is not valid UTF-8; send JSON encoded as UTF-8.', [{ path: 'body', message: 'is not valid UTF-8' }]);
  }
}

function forbiddenMember(): InputRefusedError {
  return new InputRefusedError('The body holds a member named __proto__, or a constructor with a prototype member; neither is accepted.', [
    { path: 'body', message: 'holds a __proto__ or constructor.prototype member' },
  ]);
}

/**
 * The JSON body parser of this service: Fastify's own (same body limit, same errors, prototype
 * poisoning refused, and said so), plus three rules. The body must be UTF-8, and not compressed.
 * A member name repeated in one object is refused, since parsers disagree on which value wins. And
 * the top-level members a route lists in its config `numberLiterals` keep the number as written, so
 * an amount is judged by its literal.
 */
export const jsonBodyPlugin = fp(
  (app: FastifyInstance) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
      const text = decodedBody(body, request.headers['content-type'], request.headers['content-encoding']);
      if (text instanceof Error) {
        done(text, undefined);
        return;
      }
      // Fastify's own parser answers synchronously, through `done`.
      void parseJson(request, text, (error, value: unknown) => {
        if (error) {
          done(isJson(text) ? forbiddenMember() : error, undefined);
          return;
        }
        const literalNames = request.routeOptions.config.numberLiterals ?? [];
        const scan = scanJson(text, literalNames);
        if (scan.duplicate !== undefined) {
          const path = scan.duplicate.length > 100 ? `${scan.duplicate.slice(0, 100)}…` : scan.duplicate;
          done(new InputRefusedError(`The body names ${path} more than once; send each field once.`, [{ path, message: 'appears more than once' }]), undefined);
          return;
        }
        if (scan.literals.size > 0 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
          done(null, { ...value, ...Object.fromEntries(scan.literals) });
          return;
        }
        done(null, value);
      });
    });
    return Promise.resolve();
  },
  { name: 'json-body' },
);
