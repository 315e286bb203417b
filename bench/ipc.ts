// Request/response over a forked child's IPC channel: the benchmark's processes talk this way, so
// each one (controller, fake API server, renderer) can be measured on its own.
import { ChildProcess, fork, ForkOptions } from 'node:child_process';

interface Request {
  readonly id: number;
  readonly cmd: string;
  readonly args?: unknown;
}

interface Response {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

export type Handlers = Record<string, (args: any) => unknown>;

/** In a child: answers the parent's requests with `handlers`. */
export function serve(handlers: Handlers): void {
  process.on('message', (msg: Request) => {
    if (!msg || typeof msg.id !== 'number' || typeof msg.cmd !== 'string') return;
    const reply = (r: Response) => process.send?.(r);
    const handler = handlers[msg.cmd];
    if (!handler) {
      reply({ id: msg.id, error: `unknown command ${msg.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(msg.args))
      .then(
        (result) => reply({ id: msg.id, result }),
        (err: unknown) => reply({ id: msg.id, error: (err as Error)?.stack ?? String(err) }),
      );
  });
}

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private exited: Promise<number | null>;
  readonly stderr: string[] = [];

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (msg: Response) => {
      const p = this.pending.get(msg?.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    proc.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code) => {
        for (const p of this.pending.values()) p.reject(new Error(`child exited (code ${code}) before answering; stderr:\n${this.stderr.join('').slice(-2000)}`));
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  static fork(modulePath: string, args: string[] = [], options: ForkOptions = {}): Child {
    return new Child(fork(modulePath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], ...options }));
  }

  call<T = any>(cmd: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, cmd, args } satisfies Request);
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Asks the child to stop (the `stop` command), then waits for it to exit; kills it after timeoutMs. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    this.call('stop').catch(() => undefined);
    await this.exited;
    clearTimeout(timer);
  }

  whenExited(): Promise<number | null> {
    return this.exited;
  }
}
