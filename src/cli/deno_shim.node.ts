/**
 * The part of the `Deno` namespace fmagent's code uses, implemented on Node
 * for the npm package (what @deno/shim-deno does for dnt, cut to our needs).
 * The npm build binds every free `Deno` in the bundle to this export
 * (esbuild `inject`), so nothing is installed on Node's globalThis and a
 * library user's own `Deno` global, if any, is left alone.
 *
 * Files and stdio go through file descriptors with node:fs (never
 * process.stdout, which would switch a shared pipe to non-blocking mode).
 * Errors become the Deno.errors classes, so `instanceof` checks in the app
 * work the same on both runtimes. A Deno API used by the app but missing
 * here fails the npm smoke tests (tests/package/npm_test.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isatty } from "node:tty";

class NotFound extends Error {
  override name = "NotFound";
}
class PermissionDenied extends Error {
  override name = "PermissionDenied";
}
class AlreadyExists extends Error {
  override name = "AlreadyExists";
}
class IsADirectory extends Error {
  override name = "IsADirectory";
}
class NotADirectory extends Error {
  override name = "NotADirectory";
}
class BrokenPipe extends Error {
  override name = "BrokenPipe";
}
class Interrupted extends Error {
  override name = "Interrupted";
}
class BadResource extends Error {
  override name = "BadResource";
}
class InvalidData extends Error {
  override name = "InvalidData";
}
class WouldBlock extends Error {
  override name = "WouldBlock";
}
class WriteZero extends Error {
  override name = "WriteZero";
}

const errors = {
  NotFound,
  PermissionDenied,
  AlreadyExists,
  IsADirectory,
  NotADirectory,
  BrokenPipe,
  Interrupted,
  BadResource,
  InvalidData,
  WouldBlock,
  WriteZero,
};

const ERROR_BY_CODE: Record<string, new (message: string, options?: ErrorOptions) => Error> = {
  ENOENT: NotFound,
  EACCES: PermissionDenied,
  EPERM: PermissionDenied,
  EROFS: PermissionDenied,
  EEXIST: AlreadyExists,
  EISDIR: IsADirectory,
  ENOTDIR: NotADirectory,
  EPIPE: BrokenPipe,
  EINTR: Interrupted,
  EBADF: BadResource,
  EINVAL: InvalidData,
  EAGAIN: WouldBlock,
};

/** A node:fs error as the Deno error class, with Deno's message shape ("No such file ... : open 'x'"). */
function denoError(error: unknown): unknown {
  const e = error as {
    code?: string;
    errno?: number;
    syscall?: string;
    path?: string;
    message?: string;
  };
  if (typeof e?.code !== "string") return error;
  const Class = ERROR_BY_CODE[e.code] ?? Error;
  const text = (e.message ?? "").replace(/^[A-Z0-9_]+: /, "").replace(/, [a-z]+ '.*'$/, "");
  const where = e.syscall ? `: ${e.syscall}${e.path ? ` '${e.path}'` : ""}` : "";
  const reason = text.charAt(0).toUpperCase() + text.slice(1);
  return new Class(`${reason} (os error ${Math.abs(e.errno ?? 0)})${where}`, { cause: error });
}

async function denoCall<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw denoError(error);
  }
}

function denoCallSync<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw denoError(error);
  }
}

function read(fd: number, into: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, into, 0, into.length, null, (error, n) => error ? reject(error) : resolve(n))
  );
}

function write(fd: number, bytes: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, bytes, 0, bytes.length, null, (error, n) => error ? reject(error) : resolve(n))
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly size: number;
  readonly mtime: Date | null;
  readonly mode: number | null;
  readonly uid: number | null;
}

function fileInfo(s: fs.Stats): FileInfo {
  return {
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
    size: s.size,
    mtime: s.mtime,
    mode: s.mode,
    uid: s.uid,
  };
}

/**
 * A file descriptor as Deno.FsFile: `read` returns null at the end, `write`
 * may write less than asked. A descriptor another process set non-blocking
 * (a shared terminal or pipe) answers EAGAIN: wait briefly and retry.
 */
export class FsFile {
  #closed = false;
  constructor(readonly fd: number, readonly ownsFd = true) {}

  async read(into: Uint8Array): Promise<number | null> {
    for (;;) {
      try {
        const n = await read(this.fd, into);
        return n === 0 && into.length > 0 ? null : n;
      } catch (error) {
        if ((error as { code?: string }).code === "EAGAIN") await pause(2);
        else throw denoError(error);
      }
    }
  }

  async write(bytes: Uint8Array): Promise<number> {
    for (;;) {
      try {
        return await write(this.fd, bytes);
      } catch (error) {
        if ((error as { code?: string }).code === "EAGAIN") await pause(2);
        else throw denoError(error);
      }
    }
  }

  readSync(into: Uint8Array): number | null {
    const n = denoCallSync(() => fs.readSync(this.fd, into, 0, into.length, null));
    return n === 0 && into.length > 0 ? null : n;
  }

  writeSync(bytes: Uint8Array): number {
    return denoCallSync(() => fs.writeSync(this.fd, bytes, 0, bytes.length, null));
  }

  stat(): Promise<FileInfo> {
    return denoCall(() =>
      new Promise<FileInfo>((resolve, reject) =>
        fs.fstat(this.fd, (e, s) => e ? reject(e) : resolve(fileInfo(s)))
      )
    );
  }

  statSync(): FileInfo {
    return denoCallSync(() => fileInfo(fs.fstatSync(this.fd)));
  }

  truncate(size = 0): Promise<void> {
    return denoCall(() =>
      new Promise<void>((resolve, reject) =>
        fs.ftruncate(this.fd, size, (e) => e ? reject(e) : resolve())
      )
    );
  }

  truncateSync(size = 0): void {
    denoCallSync(() => fs.ftruncateSync(this.fd, size));
  }

  isTerminal(): boolean {
    return isatty(this.fd);
  }

  close(): void {
    if (this.#closed || !this.ownsFd) return;
    this.#closed = true;
    denoCallSync(() => fs.closeSync(this.fd));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface OpenOptions {
  read?: boolean;
  write?: boolean;
  append?: boolean;
  truncate?: boolean;
  create?: boolean;
  createNew?: boolean;
  mode?: number;
}

function openFlags(o: OpenOptions): number {
  const c = fs.constants;
  const writing = o.write || o.append;
  let flags = o.read && writing ? c.O_RDWR : writing ? c.O_WRONLY : c.O_RDONLY;
  if (o.append) flags |= c.O_APPEND;
  if (o.truncate) flags |= c.O_TRUNC;
  if (o.create || o.createNew) flags |= c.O_CREAT;
  if (o.createNew) flags |= c.O_EXCL;
  return flags;
}

function openOptions(options: OpenOptions | undefined): OpenOptions {
  return options ?? { read: true };
}

type Signal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT" | "SIGUSR1" | "SIGUSR2" | "SIGPIPE";

function fromPath(p: string | URL): string {
  return typeof p === "string" ? p : decodeURIComponent(p.pathname);
}

export const Deno = {
  errors,
  FsFile,
  build: {
    os: os.platform(),
    arch: os.arch() === "x64" ? "x86_64" : os.arch() === "arm64" ? "aarch64" : os.arch(),
  },
  version: { deno: "", v8: process.versions.v8, typescript: "" },
  pid: process.pid,
  get args(): string[] {
    return process.argv.slice(2);
  },
  noColor: process.env.NO_COLOR !== undefined,
  stdin: new FsFile(0, false),
  stdout: new FsFile(1, false),
  stderr: new FsFile(2, false),
  env: {
    get: (name: string): string | undefined => process.env[name],
    set: (name: string, value: string): void => void (process.env[name] = value),
    delete: (name: string): void => void delete process.env[name],
    has: (name: string): boolean => name in process.env,
    toObject: (): Record<string, string> => ({ ...process.env } as Record<string, string>),
  },
  exit(code = 0): never {
    process.exit(code);
  },
  execPath: (): string => process.execPath,
  cwd: (): string => process.cwd(),
  addSignalListener(signal: Signal, handler: () => void): void {
    process.on(signal, handler);
  },
  removeSignalListener(signal: Signal, handler: () => void): void {
    process.off(signal, handler);
  },
  open(p: string | URL, options?: OpenOptions): Promise<FsFile> {
    const o = openOptions(options);
    // A plain descriptor, not a FileHandle: Node closes a FileHandle on garbage collection.
    return denoCall(() =>
      new Promise<FsFile>((resolve, reject) =>
        fs.open(
          fromPath(p),
          openFlags(o),
          o.mode ?? 0o666,
          (e, fd) => e ? reject(e) : resolve(new FsFile(fd)),
        )
      )
    );
  },
  openSync(p: string | URL, options?: OpenOptions): FsFile {
    const o = openOptions(options);
    return new FsFile(denoCallSync(() => fs.openSync(fromPath(p), openFlags(o), o.mode ?? 0o666)));
  },
  create(p: string | URL): Promise<FsFile> {
    return Deno.open(p, { read: true, write: true, create: true, truncate: true });
  },
  stat: (p: string | URL): Promise<FileInfo> =>
    denoCall(async () => fileInfo(await fs.promises.stat(fromPath(p)))),
  statSync: (p: string | URL): FileInfo => denoCallSync(() => fileInfo(fs.statSync(fromPath(p)))),
  lstat: (p: string | URL): Promise<FileInfo> =>
    denoCall(async () => fileInfo(await fs.promises.lstat(fromPath(p)))),
  lstatSync: (p: string | URL): FileInfo => denoCallSync(() => fileInfo(fs.lstatSync(fromPath(p)))),
  readFile: (p: string | URL): Promise<Uint8Array> =>
    denoCall(async () => new Uint8Array(await fs.promises.readFile(fromPath(p)))),
  readFileSync: (p: string | URL): Uint8Array =>
    denoCallSync(() => new Uint8Array(fs.readFileSync(fromPath(p)))),
  readTextFile: (p: string | URL): Promise<string> =>
    denoCall(() => fs.promises.readFile(fromPath(p), "utf8")),
  readTextFileSync: (p: string | URL): string =>
    denoCallSync(() => fs.readFileSync(fromPath(p), "utf8")),
  writeFile: (p: string | URL, data: Uint8Array, options?: { mode?: number }): Promise<void> =>
    denoCall(() => fs.promises.writeFile(fromPath(p), data, { mode: options?.mode ?? 0o666 })),
  writeTextFile: (p: string | URL, data: string): Promise<void> =>
    denoCall(() => fs.promises.writeFile(fromPath(p), data)),
  mkdir: (p: string | URL, options?: { recursive?: boolean; mode?: number }): Promise<void> =>
    denoCall(async () => void (await fs.promises.mkdir(fromPath(p), options))),
  remove: (p: string | URL, options?: { recursive?: boolean }): Promise<void> =>
    denoCall(() => fs.promises.rm(fromPath(p), { recursive: options?.recursive ?? false })),
  removeSync: (p: string | URL, options?: { recursive?: boolean }): void =>
    denoCallSync(() => fs.rmSync(fromPath(p), { recursive: options?.recursive ?? false })),
  rename: (from: string | URL, to: string | URL): Promise<void> =>
    denoCall(() => fs.promises.rename(fromPath(from), fromPath(to))),
  realPath: (p: string | URL): Promise<string> => denoCall(() => fs.promises.realpath(fromPath(p))),
  makeTempDir: (options?: { dir?: string; prefix?: string }): Promise<string> =>
    denoCall(() =>
      fs.promises.mkdtemp(path.join(options?.dir ?? os.tmpdir(), options?.prefix ?? "tmp-"))
    ),
  makeTempDirSync: (options?: { dir?: string; prefix?: string }): string =>
    denoCallSync(() =>
      fs.mkdtempSync(path.join(options?.dir ?? os.tmpdir(), options?.prefix ?? "tmp-"))
    ),
};
