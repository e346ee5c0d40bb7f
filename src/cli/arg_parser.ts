/**
 * fmagent's own command-line parser: the small part of commander's API the
 * subcommands use (options with short and long names, values, parsers,
 * defaults, choices, `--no-` negation, variadic arguments, generated help).
 * Written here because importing commander under Deno loads the Node
 * compatibility layer (child_process, fs, events), which cost 40–80 ms of
 * start-up per command — a fifth of a filter run over a million packets.
 */

/** A bad option value; the message says what was expected (thrown by value parsers). */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

/** Why the command line could not be parsed: one line for the user. */
export class ArgumentError extends Error {
  override name = "ArgumentError";
}

type ValueParser = (value: string, previous: unknown) => unknown;

/** One option, declared as commander spells it: "-c, --count <n>", "--no-eof", "-v". */
export class Option {
  readonly short: string | undefined;
  readonly long: string | undefined;
  /** "<x>" takes a value, "" is a flag. */
  readonly valueName: string;
  /** The key in opts(): camelCase of the long name without "no-", else the short letter. */
  readonly key: string;
  readonly negate: boolean;
  parser: ValueParser | undefined;
  defaultValue: unknown;
  allowed: readonly string[] | undefined;

  constructor(readonly flags: string, readonly description: string) {
    const match = flags.match(
      /^(?:-([A-Za-z0-9?]),?\s*)?(?:--([a-z0-9][a-z0-9-]*))?\s*(<[^>]+>)?$/i,
    );
    if (match === null || (match[1] === undefined && match[2] === undefined)) {
      throw new Error(`bad option declaration '${flags}'`);
    }
    this.short = match[1];
    this.long = match[2];
    this.valueName = match[3] ?? "";
    this.negate = this.long?.startsWith("no-") === true;
    const name = this.negate ? this.long!.slice(3) : this.long;
    this.key = name === undefined
      ? this.short!
      : name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    this.defaultValue = this.negate ? true : undefined;
  }

  choices(values: readonly string[]): this {
    this.allowed = values;
    return this;
  }

  default(value: unknown): this {
    this.defaultValue = value;
    return this;
  }

  get takesValue(): boolean {
    return this.valueName !== "";
  }
}

interface ArgumentSpec {
  /** As declared: "[file...]". */
  readonly spec: string;
  readonly name: string;
  readonly description: string;
  readonly variadic: boolean;
}

/** What a parse ended with: options read, or help to print, or a usage error. */
export type ParseOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly message: string };

export class Command {
  #summary = "";
  #usage: string | undefined;
  #options: Option[] = [];
  #arguments: ArgumentSpec[] = [];
  #helpAfter = "";
  #values: Record<string, unknown> = {};
  /** Positional arguments of the last parse. */
  args: string[] = [];

  constructor(readonly commandName: string) {}

  description(text: string): this {
    this.#summary = text;
    return this;
  }

  usage(text: string): this {
    this.#usage = text;
    return this;
  }

  argument(spec: string, description: string): this {
    const variadic = spec.includes("...");
    this.#arguments.push({ spec, name: spec.replace(/[[\]<>.]/g, ""), description, variadic });
    return this;
  }

  option(
    flags: string,
    description: string,
    parserOrDefault?: unknown,
    defaultValue?: unknown,
  ): this {
    const option = new Option(flags, description);
    if (typeof parserOrDefault === "function") {
      option.parser = parserOrDefault as ValueParser;
      if (defaultValue !== undefined) option.defaultValue = defaultValue;
    } else if (parserOrDefault !== undefined) {
      option.defaultValue = parserOrDefault;
    }
    return this.addOption(option);
  }

  addOption(option: Option): this {
    this.#options.push(option);
    return this;
  }

  addHelpText(_position: "after", text: string): this {
    this.#helpAfter += text;
    return this;
  }

  opts<T>(): T {
    return { ...this.#values } as T;
  }

  /** Parses `args` (without the command name). */
  parse(args: readonly string[]): ParseOutcome {
    this.#values = {};
    for (const o of this.#options) {
      if (o.defaultValue !== undefined) this.#values[o.key] = o.defaultValue;
    }
    const positional: string[] = [];
    try {
      for (let i = 0; i < args.length; i++) {
        const arg = args[i]!;
        if (arg === "--") {
          positional.push(...args.slice(i + 1));
          break;
        }
        if (arg === "-h" || arg === "--help") return { kind: "help", text: this.helpText() };
        if (arg.startsWith("--")) {
          const eq = arg.indexOf("=");
          const name = eq < 0 ? arg : arg.slice(0, eq);
          const option = this.#options.find((o) => `--${o.long}` === name);
          if (option === undefined) throw new ArgumentError(`unknown option '${name}'`);
          if (!option.takesValue) {
            if (eq >= 0) throw new ArgumentError(`option '${option.flags}' takes no value`);
            this.#set(option, !option.negate);
          } else if (eq >= 0) {
            this.#set(option, arg.slice(eq + 1));
          } else {
            if (i + 1 >= args.length) throw missingValue(option);
            this.#set(option, args[++i]!);
          }
        } else if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
          // Short flags may be grouped (-vU); a value may follow attached (-c5) or as the next word.
          for (let k = 1; k < arg.length; k++) {
            const option = this.#options.find((o) => o.short === arg[k]);
            if (option === undefined) throw new ArgumentError(`unknown option '-${arg[k]}'`);
            if (!option.takesValue) {
              this.#set(option, !option.negate);
              continue;
            }
            const rest = arg.slice(k + 1);
            if (rest !== "") this.#set(option, rest);
            else if (i + 1 < args.length) this.#set(option, args[++i]!);
            else throw missingValue(option);
            break;
          }
        } else {
          positional.push(arg);
        }
      }
      const variadic = this.#arguments.some((a) => a.variadic);
      if (!variadic && positional.length > this.#arguments.length) {
        throw new ArgumentError(`unexpected argument '${positional[this.#arguments.length]}'`);
      }
    } catch (error) {
      if (error instanceof ArgumentError) return { kind: "error", message: error.message };
      throw error;
    }
    this.args = positional;
    return { kind: "ok" };
  }

  #set(option: Option, raw: string | boolean): void {
    if (typeof raw === "boolean") {
      this.#values[option.key] = raw;
      return;
    }
    if (option.allowed !== undefined && !option.allowed.includes(raw)) {
      throw new ArgumentError(
        `option '${option.flags}' argument '${raw}' is invalid (choices: ${
          option.allowed.join(", ")
        })`,
      );
    }
    if (option.parser === undefined) {
      this.#values[option.key] = raw;
      return;
    }
    try {
      this.#values[option.key] = option.parser(raw, this.#values[option.key]);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new ArgumentError(
        `option '${option.flags}' argument '${raw}' is invalid: ${error.message}`,
      );
    }
  }

  /** The --help text: usage, summary, arguments, options, then the text added after. */
  helpText(): string {
    const rows = (items: [string, string][]) => {
      const width = Math.max(...items.map(([left]) => left.length)) + 2;
      return items.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join("\n");
    };
    const options: [string, string][] = this.#options.map((o) => [
      o.short !== undefined && o.long !== undefined
        ? `-${o.short}, --${o.long}${o.valueName ? ` ${o.valueName}` : ""}`
        : o.flags,
      o.description + describeDefault(o),
    ]);
    options.push(["-h, --help", "show this help"]);
    const usage = this.#usage ?? ["[options]", ...this.#arguments.map((a) => a.spec)].join(" ");
    const sections = [`Usage: ${this.commandName} ${usage}`, this.#summary];
    if (this.#arguments.length > 0) {
      sections.push(`Arguments:\n${rows(this.#arguments.map((a) => [a.name, a.description]))}`);
    }
    sections.push(`Options:\n${rows(options)}`);
    return `${sections.filter((s) => s !== "").join("\n\n")}\n${this.#helpAfter}`;
  }
}

function describeDefault(o: Option): string {
  const parts: string[] = [];
  if (o.allowed !== undefined) parts.push(`choices: ${o.allowed.map((c) => `"${c}"`).join(", ")}`);
  if (o.takesValue && o.defaultValue !== undefined) {
    parts.push(`default: ${JSON.stringify(o.defaultValue)}`);
  }
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

function missingValue(option: Option): ArgumentError {
  return new ArgumentError(`option '${option.flags}' argument missing`);
}
