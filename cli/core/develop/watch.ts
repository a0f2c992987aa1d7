// Watches the files a function's bundle was built from, for `dev`: the folder of each input (node_modules left
// out) without recursion, plus the function directory itself, where a new file may be imported next. It reports
// each relevant change with the time it was seen and leaves debouncing to its caller. No terminal.
import { watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Folders watched at most: a bundle reading from more than this many folders of its own is not a function. */
export const MAX_WATCHED_FOLDERS = 256;

/** Names an edit to which may change the bundle (sources and the JSON they import); editors' temporary files are not. */
const SOURCE_NAME = /^[^.~#][^~#]*\.(ts|mts|cts|tsx|js|mjs|cjs|jsx|json)$/;

export interface SourceWatcherOptions {
  /** The function directory: always watched. */
  root: string;
  /** A file that may change the bundle was written, renamed or removed; `at` is when it was seen (performance.now()). */
  onChange(path: string, at: number): void;
  /** Something could not be watched (said once per folder). */
  onProblem?(message: string): void;
}

export class SourceWatcher {
  private readonly folders = new Map<string, FSWatcher>();
  private files = new Set<string>();
  private readonly root: string;
  private closed = false;
  private warnedLimit = false;

  constructor(private readonly options: SourceWatcherOptions) {
    this.root = resolve(options.root);
    this.watchFolder(this.root);
  }

  /** Watches the folders of these files (what the last build read), and stops watching folders no longer read. */
  track(inputs: readonly string[]): void {
    if (this.closed) return;
    this.files = new Set(inputs.map((input) => resolve(input)));
    const wanted = new Set([this.root, ...[...this.files].map((file) => dirname(file))]);
    for (const [folder, watcher] of this.folders) {
      if (!wanted.has(folder)) {
        watcher.close();
        this.folders.delete(folder);
      }
    }
    for (const folder of wanted) this.watchFolder(folder);
  }

  /** The folders watched now (for tests and diagnostics). */
  watchedFolders(): string[] {
    return [...this.folders.keys()].sort();
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
  }

  private watchFolder(folder: string): void {
    if (this.folders.has(folder)) return;
    if (this.folders.size >= MAX_WATCHED_FOLDERS) {
      if (!this.warnedLimit) this.options.onProblem?.(`the bundle reads files from more than ${MAX_WATCHED_FOLDERS} folders; changes in the others are not watched`);
      this.warnedLimit = true;
      return;
    }
    try {
      const watcher = watch(folder, { persistent: true }, (_event, name) => this.changed(folder, name === null ? undefined : String(name)));
      watcher.on('error', (error) => {
        this.options.onProblem?.(`stopped watching ${folder}: ${error.message}`);
        watcher.close();
        this.folders.delete(folder);
      });
      this.folders.set(folder, watcher);
    } catch (error) {
      this.options.onProblem?.(`cannot watch ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  private changed(folder: string, name: string | undefined): void {
    if (this.closed) return;
    const at = performance.now();
    // No name (some platforms): something in the folder changed; rebuilding is the safe answer.
    if (name === undefined) return this.options.onChange(folder, at);
    const path = join(folder, name);
    if (this.files.has(path) || (folder === this.root && SOURCE_NAME.test(name))) this.options.onChange(path, at);
  }
}
