/**
 * Checks that the properties a Pulumi program uses on the Multus component exist in the package
 * schema, for programs the TypeScript compiler cannot check: YAML, Python and Go. Each language
 * names the schema's properties its own way (YAML as is, Python in snake_case, Go in PascalCase);
 * the checker maps schema names to the language's and reports every name it cannot find, with its
 * path in the program.
 */

/** A property or item type, as the schema writes it. */
export interface TypeSpec {
  type?: string;
  $ref?: string;
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
}
interface ObjectSpec {
  properties?: Record<string, TypeSpec>;
  enum?: { name?: string; value: unknown }[];
}
export interface Schema {
  name: string;
  resources: Record<
    string,
    { inputProperties: Record<string, TypeSpec>; properties: Record<string, TypeSpec> }
  >;
  types: Record<string, ObjectSpec>;
}

export const MULTUS = "k3s-multus:index:Multus";

/** A value the checker cannot see into (a variable, a config reference, a call). */
export const OPAQUE = Symbol("opaque");

/** How a language spells a schema property name. */
export type Naming = (schemaName: string) => string;

export const yamlName: Naming = (n) => n;
/** Python codegen's snake_case: `pciBusID` → `pci_bus_id`, `k3sVersions` → `k3s_versions`. */
export const pythonName: Naming = (n) =>
  n
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
/** Go codegen's exported field names: the first letter upper-cased. */
export const goName: Naming = (n) => n.charAt(0).toUpperCase() + n.slice(1);

function typeOf(schema: Schema, ref: string): ObjectSpec | undefined {
  const token = ref.replace(/^#\/types\//, "");
  return schema.types[token];
}

/** The schema type a `$ref` names, without the package prefix (`NodeArgs`). */
export function refName(ref: string): string {
  return ref.split(":").pop() ?? ref;
}

/** Finds the schema property a program's key names; undefined when there is none. */
function lookup(
  props: Record<string, TypeSpec>,
  key: string,
  naming: Naming,
): [string, TypeSpec] | undefined {
  for (const [name, spec] of Object.entries(props)) if (naming(name) === key) return [name, spec];
  return undefined;
}

function isReference(v: unknown): boolean {
  return v === OPAQUE || (typeof v === "string" && /^\$\{[^}]+\}$/.test(v.trim()));
}

/**
 * Checks a value the program gives for a property of type `spec`: object keys must be properties of
 * the referenced type, enum literals must be among its values. Returns the problems found.
 */
export function checkValue(
  schema: Schema,
  spec: TypeSpec,
  value: unknown,
  path: string,
  naming: Naming,
): string[] {
  if (isReference(value) || value === undefined || value === null) return [];
  if (spec.$ref?.startsWith("#/types/")) {
    const t = typeOf(schema, spec.$ref);
    if (!t) return [`${path}: the schema has no type ${spec.$ref}`];
    if (t.enum) {
      if (typeof value !== "string") return [];
      const values = t.enum.map((e) => e.value);
      return values.includes(value)
        ? []
        : [`${path}: ${JSON.stringify(value)} is not one of ${values.join(", ")}`];
    }
    if (typeof value !== "object" || Array.isArray(value)) return [`${path}: expected an object`];
    return checkObject(
      schema,
      t.properties ?? {},
      value as Record<string, unknown>,
      path,
      naming,
      refName(spec.$ref),
    );
  }
  if (spec.type === "array" && spec.items && Array.isArray(value)) {
    return value.flatMap((v, i) => checkValue(schema, spec.items as TypeSpec, v, `${path}[${i}]`, naming));
  }
  return [];
}

/** Checks an object's keys (and their values) against a type's properties. */
export function checkObject(
  schema: Schema,
  props: Record<string, TypeSpec>,
  value: Record<string, unknown>,
  path: string,
  naming: Naming,
  typeName: string,
): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const found = lookup(props, key, naming);
    if (!found) return [`${path}.${key}: ${typeName} has no such property`];
    return checkValue(schema, found[1], v, `${path}.${key}`, naming);
  });
}

/** Checks names read from the component's outputs (`multus.podAnnotations`, `multus.pod_annotations`). */
export function checkOutputs(
  schema: Schema,
  names: readonly string[],
  naming: Naming,
  path: string,
): string[] {
  const outputs = schema.resources[MULTUS].properties;
  return names
    .filter((n) => !lookup(outputs, n, naming))
    .map((n) => `${path}.${n}: Multus has no such output`);
}

// ---------------------------------------------------------------------------------------------
// Python: a small expression parser, enough for literal dicts, lists, comprehensions and calls.

type Token = { kind: "str" | "name" | "num" | "punct"; text: string };

function tokenizePython(src: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s+|#[^\n]*|(?<str>[rbuf]*("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))|(?<name>[A-Za-z_]\w*)|(?<num>\d[\w.]*)|(?<punct>==|!=|<=|>=|\*\*|->|[-+*/%<>=!.,:;()[\]{}@~^&|])/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < src.length && (m = re.exec(src))) {
    const g: Partial<Record<string, string>> = m.groups ?? {};
    if (g.str !== undefined) {
      const body = g.str.replace(/^[rbuf]*/i, "");
      const quote = body.startsWith('"""') || body.startsWith("'''") ? 3 : 1;
      tokens.push({ kind: "str", text: body.slice(quote, body.length - quote) });
    } else if (g.name !== undefined) tokens.push({ kind: "name", text: g.name });
    else if (g.num !== undefined) tokens.push({ kind: "num", text: g.num });
    else if (g.punct !== undefined) tokens.push({ kind: "punct", text: g.punct });
  }
  if (re.lastIndex < src.length) throw new Error(`cannot tokenize Python at offset ${re.lastIndex}`);
  return tokens;
}

/** A call found in the program: `name(...)` with its keyword arguments. */
export interface PyCall {
  readonly callee: string;
  readonly kwargs: Record<string, unknown>;
}

class PyParser {
  pos = 0;
  readonly calls: PyCall[] = [];
  constructor(private readonly t: Token[]) {}

  private peek(text?: string): Token | undefined {
    const tok = this.t.at(this.pos);
    return text === undefined || tok?.text === text ? tok : undefined;
  }
  private next(): Token {
    const tok = this.t.at(this.pos++);
    if (!tok) throw new Error("unexpected end of Python source");
    return tok;
  }
  private expect(text: string): void {
    const tok = this.next();
    if (tok.text !== text) throw new Error(`expected ${text}, got ${tok.text}`);
  }

  /** Skips tokens up to (not including) a closing bracket or separator at this nesting level. */
  private skipRest(stops: readonly string[]): void {
    let depth = 0;
    while (this.pos < this.t.length) {
      const tok = this.t[this.pos];
      if (tok.kind === "punct" && ["(", "[", "{"].includes(tok.text)) depth++;
      else if (tok.kind === "punct" && [")", "]", "}"].includes(tok.text)) {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && stops.includes(tok.text)) return;
      this.pos++;
    }
  }

  /** One expression; literals are returned as values, anything else as OPAQUE. */
  expr(stops: readonly string[] = [",", ":"]): unknown {
    const value = this.primary();
    const start = this.pos;
    this.skipRest([...stops, "for"]);
    return this.pos === start ? value : OPAQUE;
  }

  private primary(): unknown {
    const tok = this.next();
    if (tok.kind === "str") {
      let s = tok.text;
      while (this.peek()?.kind === "str") s += this.next().text; // implicit concatenation
      return s;
    }
    if (tok.text === "{") return this.dict();
    if (tok.text === "[") return this.list();
    if (tok.text === "(") {
      this.args();
      return OPAQUE;
    }
    if (tok.kind === "name" || tok.kind === "num") {
      let callee = tok.text;
      for (;;) {
        if (this.peek(".")) {
          this.next();
          callee += `.${this.next().text}`;
        } else if (this.peek("(")) {
          this.next();
          this.calls.push({ callee, kwargs: this.args() });
          callee = "(call)";
        } else if (this.peek("[")) {
          this.next();
          this.skipRest([]);
          this.expect("]");
        } else break;
      }
      return OPAQUE;
    }
    return OPAQUE;
  }

  private dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (!this.peek("}")) {
      const key = this.expr([",", ":"]);
      this.expect(":");
      const value = this.expr([","]);
      if (typeof key === "string") out[key] = value;
      if (this.peek(",")) this.next();
    }
    this.expect("}");
    return out;
  }

  private list(): unknown[] | typeof OPAQUE {
    const items: unknown[] = [];
    while (!this.peek("]")) {
      items.push(this.expr([","]));
      if (this.peek("for")) {
        // A comprehension: its element shows the shape of every item.
        this.skipRest([]);
        break;
      }
      if (this.peek(",")) this.next();
    }
    this.expect("]");
    return items;
  }

  /** Call arguments up to the closing parenthesis; returns the keyword arguments. */
  private args(): Record<string, unknown> {
    const kwargs: Record<string, unknown> = {};
    while (!this.peek(")")) {
      const tok = this.peek();
      if (tok?.kind === "name" && this.t[this.pos + 1]?.text === "=") {
        this.pos += 2;
        kwargs[tok.text] = this.expr([","]);
      } else this.expr([","]);
      if (this.peek(",")) this.next();
    }
    this.expect(")");
    return kwargs;
  }

  /** Parses the whole module, statement by statement, collecting every call. */
  module(): PyCall[] {
    while (this.pos < this.t.length) {
      const before = this.pos;
      const tok = this.t[this.pos];
      // Operators and separators between expressions (`=`, `:`, `)`): step over them.
      if (tok.kind === "punct" && !["(", "[", "{"].includes(tok.text)) {
        this.pos++;
        continue;
      }
      try {
        this.expr([",", ":", "=", ";"]);
      } catch {
        this.pos = before + 1;
      }
      if (this.pos === before) this.pos++;
    }
    return this.calls;
  }
}

/** Every call in a Python module with its keyword arguments (literals parsed, the rest OPAQUE). */
export function pythonCalls(src: string): PyCall[] {
  return new PyParser(tokenizePython(src)).module();
}

// ---------------------------------------------------------------------------------------------
// Go: every composite literal of an SDK type names its type, so each can be checked on its own.

/** The text between the brace at `open` and its match. */
function braced(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === "{") depth++;
    else if (src[i] === "}" && --depth === 0) return src.slice(open + 1, i);
  }
  throw new Error("unbalanced braces in Go source");
}

/** The field names of a keyed composite literal's body (`Name: value, ...`), at its own level. */
function goFields(body: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let entryStart = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"' || c === "`") {
      const end = body.indexOf(c, i + 1);
      i = end < 0 ? body.length : end;
      entryStart = false;
      continue;
    }
    if ("{([".includes(c)) depth++;
    else if ("})]".includes(c)) depth--;
    else if (c === "," && depth === 0) entryStart = true;
    else if (entryStart && depth === 0 && /\S/.test(c)) {
      const m = /^([A-Za-z_]\w*)\s*:(?!=)/.exec(body.slice(i));
      if (m) fields.push(m[1]);
      entryStart = false;
    }
  }
  return fields;
}

/** A composite literal of the SDK: `<alias>.<Type>{ Field: ..., ... }`. */
export interface GoLiteral {
  readonly type: string;
  readonly fields: string[];
}

export function goLiterals(src: string, alias: string): GoLiteral[] {
  const out: GoLiteral[] = [];
  const re = new RegExp(`\\b${alias}\\.(\\w+)\\s*\\{`, "g");
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const open = m.index + m[0].length - 1;
    out.push({ type: m[1], fields: goFields(braced(src, open)) });
  }
  return out;
}
