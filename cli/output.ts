// The one place that writes to the terminal. Under --json only the JSON document reaches stdout; people's
// text, spinners and errors go to stderr. Spinners are no-ops without a TTY, under --json, or with CI/NO_COLOR.
// Commands and the provisioning core report progress through the Reporter interface and never print.

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  /** Something failed: an AWS error, a function error, a thumbnail that never came. */
  failure: 1,
  /** The command line or a setting is wrong; nothing was touched. */
  usage: 2,
  /** A wait ran out of time. */
  timeout: 3,
  /**
   * Not as desired, said without failing (like `terraform plan -detailed-exitcode`): `status` found something absent
   * or drifted, `setup --dry-run` would change something, a `doctor` check failed.
   */
  drift: 4,
  /** Ctrl-C stopped it; what was done stays done (backfill picks up where it stopped when run again). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the person at the terminal: printed as one line, no stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failure,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** What long-running work (the provisioning core, waits) uses to say what it is doing. */
export interface Reporter {
  /** Starts a step; the returned handle ends it. */
  step(text: string): StepHandle;
  /** A line of information for people (never on stdout under --json). */
  info(text: string): void;
  warn(text: string): void;
}

export interface StepHandle {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  /** Ends the step with a neutral mark (e.g. unchanged). */
  done(text?: string): void;
  /** Ends the step without a line of its own: the error that stopped it is said once, by the command. */
  cancel(): void;
}

export interface OutputOptions {
  json: boolean;
  stderr?: NodeJS.WriteStream;
  stdout?: NodeJS.WriteStream;
}

/** Environment variables whose values are secrets: never written to the terminal, whatever prints them. */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'THUMBCTL_LOCAL_SECRET_ACCESS_KEY'] as const;

/**
 * Masks credentials in text for people (stderr: progress, warnings, errors and --debug stacks): signatures and
 * session tokens of presigned URLs and Authorization headers, and the values of the secret environment
 * variables. A command's result on stdout is left alone: the presigned URL `upload` prints is what was asked for.
 * @param text - a line about to be written
 * @param env - where the secret variables are read (the process's own environment)
 */
/** Secrets read once and then removed from the environment (the local cloud's key): masked like the variables above. */
const registeredSecrets = new Set<string>();

/** Masks `value` in everything written to stderr from now on (values shorter than 12 characters are placeholders). */
export function registerSecret(value: string): void {
  if (value.length >= 12) registeredSecrets.add(value);
}

export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let redacted = text
    .replace(/(X-Amz-Signature=)[0-9a-fA-F]+/g, '$1[redacted]')
    .replace(/(X-Amz-Security-Token=)[^&\s"'<>]+/gi, '$1[redacted]')
    .replace(/(\bSignature=)[0-9a-fA-F]{16,}/g, '$1[redacted]')
    .replace(/(x-amz-security-token["']?\s*:\s*["']?)[^\s"',}&]+/gi, '$1[redacted]');
  for (const name of SECRET_ENV) {
    const value = env[name];
    // Short values ("test", "x") are placeholders, and masking them would garble ordinary words.
    if (value && value.length >= 12) redacted = redacted.split(value).join('[redacted]');
  }
  for (const value of registeredSecrets) redacted = redacted.split(value).join('[redacted]');
  return redacted;
}

/** The first line of a (possibly multi-line) message: errors and retry reasons are shown as one line. */
export function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? '';
}

/** A size for people: bytes, KB or MB with one decimal. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function colorEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  // A terminal that reports no width (`script` without a size) makes ora redraw endlessly: treat it as none.
  return Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && !process.env.NO_COLOR && !process.env.CI;
}

export class Output implements Reporter {
  readonly json: boolean;
  private readonly stderr: NodeJS.WriteStream;
  private readonly stdout: NodeJS.WriteStream;
  readonly interactive: boolean;

  private makeSpinner: typeof import('ora').default | undefined;

  /** Builds the output for a command, loading ora only when a spinner can be shown. */
  static async create(options: OutputOptions): Promise<Output> {
    const output = new Output(options);
    if (output.interactive) output.makeSpinner = (await import('ora')).default;
    return output;
  }

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stderr = options.stderr ?? process.stderr;
    this.stdout = options.stdout ?? process.stdout;
    this.interactive = !this.json && colorEnabled(this.stderr);
  }

  /** The command's result for scripts: one JSON document on stdout. */
  result(document: unknown): void {
    this.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /** One JSON value per line on stdout (for streams such as `logs --json`). */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Text for people. Goes to stdout when it *is* the result (tables), else use info(). */
  print(text: string): void {
    if (this.json) return;
    this.stdout.write(`${text}\n`);
  }

  info(text: string): void {
    if (!this.json) this.stderr.write(`${redactSecrets(text)}\n`);
  }

  /** A line for people that shows under --json too (on stderr): a long-running command saying it is ready. */
  notice(text: string): void {
    this.stderr.write(`${redactSecrets(text)}\n`);
  }

  /** Diagnostics asked for with --debug: always on stderr, also under --json (stdout stays the one document). */
  debug(text: string): void {
    this.stderr.write(`${redactSecrets(text)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.paint('33', 'warning:')} ${redactSecrets(text)}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.paint('31', 'thumbctl:')} ${redactSecrets(text)}\n`);
  }

  paint(code: string, text: string): string {
    return this.interactive ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  step(text: string): StepHandle {
    if (this.json) return silentStep;
    if (!this.interactive || !this.makeSpinner) return new PlainStep(this.stderr, text);
    return new SpinnerStep(this.makeSpinner, this.stderr, text);
  }
}

const silentStep: StepHandle = { update() {}, succeed() {}, fail() {}, done() {}, cancel() {} };

/** Without a TTY: one line per finished step, no animation. */
class PlainStep implements StepHandle {
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private text: string,
  ) {}
  update(text: string): void {
    this.text = text;
  }
  succeed(text?: string): void {
    this.stream.write(`✔ ${text ?? this.text}\n`);
  }
  fail(text?: string): void {
    this.stream.write(`✖ ${text ?? this.text}\n`);
  }
  done(text?: string): void {
    this.stream.write(`• ${text ?? this.text}\n`);
  }
  cancel(): void {}
}

/** On a TTY: an ora spinner (ora is loaded by Output.create only when a TTY will show it). */
class SpinnerStep implements StepHandle {
  private readonly spinner: import('ora').Ora;
  constructor(makeSpinner: typeof import('ora').default, stream: NodeJS.WriteStream, private text: string) {
    this.spinner = makeSpinner({ text, stream }).start();
  }
  update(text: string): void {
    this.text = text;
    this.spinner.text = text;
  }
  succeed(text?: string): void {
    this.spinner.succeed(text ?? this.text);
  }
  fail(text?: string): void {
    this.spinner.fail(text ?? this.text);
  }
  done(text?: string): void {
    this.spinner.stopAndPersist({ symbol: '•', text: text ?? this.text });
  }
  cancel(): void {
    this.spinner.stop();
  }
}

/** A reporter that says nothing: for library use and tests of the core. */
export const silentReporter: Reporter = { step: () => silentStep, info() {}, warn() {} };
