import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { LocalHttpRequest, SandboxServices } from './inproc.ts';
import { type Timers, unrefTimers } from './timers.ts';

/** A function as the template describes it, resolved to local paths and names. */
export interface LocalFunctionSpec {
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the bundle file (e.g. `<asset>/index.mjs`). */
  readonly file: string;
  readonly exportName: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
}

/** How Lambda reports a failed invocation (the `FunctionError` payload). */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export type InvokeResult =
  | { readonly ok: true; readonly result: unknown; readonly cold: boolean; readonly ms: number }
  | { readonly ok: false; readonly error: LambdaError; readonly cold: boolean; readonly ms: number };

/** The timers idle reclamation uses (tests pass controllable ones). */
export type SandboxTimers = Timers;

/**
 * Sandboxes per function, at most, by default. Each is a V8 isolate that compiles and optimizes the
 * bundle on its own: on a small machine more sandboxes than cores add memory (~40 MiB each), JIT
 * work repeated per isolate and thread switches, not throughput (2 cores: 3-4 per function
 * acknowledged 69-75/s at c=20 where 10 did 43/s; see the webhooks bench).
 */
export const DEFAULT_MAX_SANDBOXES = Math.min(10, availableParallelism() + 2);

/** Lambda's limit on a sandbox's init phase (the bundle's import), apart from the timeout. */
export const INIT_TIMEOUT_MS = 10_000;

/** Lambda reclaims a sandbox some minutes after its last invocation; so does the runtime. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

export interface LocalFunctionOptions {
  /** sandboxes running at once, at most (default DEFAULT_MAX_SANDBOXES); more invocations wait */
  readonly maxConcurrency?: number;
  /** a sandbox idle this long is reclaimed (its isolate freed); the next invocation starts cold */
  readonly idleTimeoutMs?: number;
  readonly timers?: SandboxTimers;
  /**
   * The runtime's services in-process: the sandbox's HTTP requests to `endpoint` are answered by
   * `dispatch` through a MessagePort instead of loopback TCP (see inproc.ts). Absent: plain HTTP.
   */
  readonly services?: SandboxServices;
  /** overrides the template's timeout (tests) */
  readonly timeoutMs?: number;
  /** overrides the init phase's limit, INIT_TIMEOUT_MS (tests) */
  readonly initTimeoutMs?: number;
  /**
   * The runtime's clock as one Float64 (epoch ms) the sandbox reads for `Date`: with a virtual
   * clock, handler code sees the same time as the workflows. Absent: real time.
   */
  readonly clock?: SharedArrayBuffer;
  /**
   * Called once a reclaimed or discarded sandbox's isolate is freed (not on close): the runtime
   * gives the C heap's free memory back to the system then (malloc-trim.ts).
   */
  readonly onSandboxFreed?: () => void;
  /** Receives what the handler writes to stdout/stderr (default: the runtime's own streams). */
  readonly onLog?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/**
 * An invocation's event as JSON text, parsed in the sandbox: the runtime passes on a payload it
 * holds as text (an EventBridge target's input) without parsing it into objects and cloning them
 * to the worker (for a 2,000-line order, ~4 ms of the main thread per target).
 */
export class JsonPayload {
  constructor(readonly text: string) {}
}

const WORKER = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));

interface Sandbox {
  readonly worker: Worker;
  readonly port?: MessagePort;
  busy: boolean;
  warm: boolean;
  /** Settles when the init phase (the bundle's import) has run: with its error if it failed. */
  readonly ready: Promise<LambdaError | null>;
  /** Settles `ready` (first call wins): the worker's init message, its exit, or close(). */
  readonly settleInit: (error: LambdaError | null) => void;
  idleTimer?: unknown;
  /** the sandbox thread's id (Linux), once its init phase has run */
  tid?: number;
  pending?: {
    id: string;
    resolve: (r: InvokeResult) => void;
    timer: unknown;
    cold: boolean;
    /** an asynchronous invocation: nobody waits for its answer */
    background: boolean;
  };
}

/**
 * Runs one function's deployed bundle like Lambda does: each sandbox is a worker thread with the
 * function's own environment and module state, cold on first use and warm after; concurrent
 * invocations get more sandboxes (up to `maxConcurrency`); the template's timeout is enforced by
 * discarding the sandbox, so the next invocation starts cold. A sandbox idle for `idleTimeoutMs`
 * is reclaimed, as Lambda does; the most recently used idle sandbox serves next, so a burst's
 * extra sandboxes go idle and are reclaimed once the burst is over.
 */
export class LocalFunction {
  readonly #sandboxes = new Set<Sandbox>();
  /** idle sandboxes, most recently used last */
  readonly #idle: Sandbox[] = [];
  readonly #waiting: Array<() => void> = [];
  #closed = false;

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly options: LocalFunctionOptions = {},
  ) {}

  /** Thread ids (Linux) of the sandboxes alive, for per-function CPU accounting (benches). */
  get threadIds(): number[] {
    return [...this.#sandboxes].flatMap((s) => (s.tid === undefined ? [] : [s.tid]));
  }

  /** Sandboxes this function may run at once (invocations beyond wait for one). */
  get capacity(): number {
    return this.options.maxConcurrency ?? DEFAULT_MAX_SANDBOXES;
  }

  /** Sandboxes alive (busy or idle). */
  get sandboxes(): number {
    return this.#sandboxes.size;
  }

  get #timers(): SandboxTimers {
    return this.options.timers ?? unrefTimers;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? this.spec.timeoutSeconds * 1000;
  }

  /**
   * Runs one invocation in a free sandbox. `background`: nobody waits for the answer (an
   * asynchronous invocation); the sandbox then runs at a lower OS scheduling priority from now on,
   * so that on a machine short of cores its work yields to the functions a request waits for (see
   * priority.ts). Where thread priorities cannot be set, nothing changes.
   */
  async invoke(event: unknown, options: { readonly background?: boolean } = {}): Promise<InvokeResult> {
    let sandbox: Sandbox;
    try {
      sandbox = await this.#acquire();
    } catch (error) {
      const errorMessage = (error as Error).message;
      return { ok: false, error: { errorType: 'Runtime.ExitError', errorMessage }, cold: false, ms: 0 };
    }
    const id = randomUUID();
    const cold = !sandbox.warm;
    if (cold) {
      // The init phase has its own limit; the invocation's timeout starts after it, as on Lambda.
      const initError = await this.#initialized(sandbox);
      if (initError) {
        void this.#discard(sandbox);
        return { ok: false, error: initError, cold, ms: 0 };
      }
    }
    const timers = this.#timers;
    return new Promise<InvokeResult>((resolve) => {
      const timer = timers.setTimeout(() => {
        const error = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds`,
        };
        void this.#discard(sandbox);
        resolve({ ok: false, error, cold, ms: this.timeoutMs });
      }, this.timeoutMs);
      sandbox.pending = { id, resolve, timer, cold, background: options.background === true };
      sandbox.worker.postMessage({
        id,
        ...(event instanceof JsonPayload ? { payload: event.text } : { event }),
        context: {
          functionName: this.spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.spec.arn,
          memoryLimitInMB: String(this.spec.memorySize),
          awsRequestId: id,
          logGroupName: `/aws/lambda/${this.spec.name}`,
          logStreamName: 'local',
          deadlineMs: Date.now() + this.timeoutMs,
        },
        ...(options.background ? { background: true } : {}),
      });
    });
  }

  /**
   * Reclaims every idle sandbox now, as its idle timer would when it fires; busy ones are left
   * alone. Resolves with how many went, once their isolates are freed (benches measure the
   * runtime's memory at rest this way, as they run a full GC before reading the heap).
   */
  async reclaimIdle(): Promise<number> {
    const idle = [...this.#idle];
    await Promise.all(idle.map((s) => this.#discard(s)));
    return idle.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#sandboxes];
    this.#sandboxes.clear();
    this.#idle.length = 0;
    for (const s of all) {
      this.#stopIdleTimer(s);
      s.settleInit({ errorType: 'Runtime.ExitError', errorMessage: 'the runtime is closing' });
      // An invocation still running ends now, and its timeout timer with it (it held the process).
      const pending = s.pending;
      s.pending = undefined;
      if (pending) {
        this.#timers.clearTimeout(pending.timer);
        pending.resolve({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: 'the runtime is closing' },
          cold: pending.cold,
          ms: 0,
        });
      }
    }
    for (const wake of this.#waiting.splice(0)) wake(); // invocations waiting for a sandbox fail
    await Promise.all(all.map((s) => this.#terminate(s)));
  }

  async #acquire(): Promise<Sandbox> {
    for (;;) {
      if (this.#closed) throw new Error(`function ${this.spec.name}: the runtime is closing`);
      const idle = this.#idle.pop();
      if (idle) {
        this.#stopIdleTimer(idle);
        idle.busy = true;
        return idle;
      }
      if (this.#sandboxes.size < this.capacity) {
        const sandbox = this.#spawn();
        sandbox.busy = true;
        return sandbox;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(sandbox: Sandbox): void {
    sandbox.busy = false;
    if (!this.#sandboxes.has(sandbox)) return;
    this.#idle.push(sandbox);
    const timers = this.#timers;
    sandbox.idleTimer = timers.setTimeout(() => {
      sandbox.idleTimer = undefined;
      if (sandbox.busy || !this.#sandboxes.has(sandbox)) return;
      void this.#discard(sandbox);
    }, this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.#waiting.shift()?.();
  }

  /** Waits for a new sandbox's init phase, at most INIT_TIMEOUT_MS (Lambda's 10 s). */
  async #initialized(sandbox: Sandbox): Promise<LambdaError | null> {
    const timers = this.#timers;
    let timer: unknown;
    const limit = new Promise<LambdaError>((resolve) => {
      timer = timers.setTimeout(
        () =>
          resolve({
            errorType: 'Runtime.InitTimeout',
            errorMessage: `INIT phase did not finish within ${INIT_TIMEOUT_MS / 1000} seconds`,
          }),
        this.options.initTimeoutMs ?? INIT_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([sandbox.ready, limit]);
    } finally {
      timers.clearTimeout(timer);
    }
  }

  #stopIdleTimer(sandbox: Sandbox): void {
    if (sandbox.idleTimer === undefined) return;
    this.#timers.clearTimeout(sandbox.idleTimer);
    sandbox.idleTimer = undefined;
  }

  /** Takes a sandbox out of service; the promise settles once its isolate is freed. */
  #discard(sandbox: Sandbox): Promise<void> {
    if (sandbox.pending) this.#timers.clearTimeout(sandbox.pending.timer);
    sandbox.pending = undefined;
    this.#stopIdleTimer(sandbox);
    this.#sandboxes.delete(sandbox);
    const i = this.#idle.indexOf(sandbox);
    if (i >= 0) this.#idle.splice(i, 1);
    const onFreed = this.options.onSandboxFreed;
    const terminated = onFreed ? this.#terminate(sandbox).then(onFreed) : this.#terminate(sandbox);
    this.#waiting.shift()?.();
    return terminated;
  }

  async #terminate(sandbox: Sandbox): Promise<void> {
    sandbox.port?.close();
    await sandbox.worker.terminate();
  }

  #spawn(): Sandbox {
    const services = this.options.services;
    const channel = services ? new MessageChannel() : undefined;
    const worker = new Worker(WORKER, {
      workerData: {
        file: this.spec.file,
        exportName: this.spec.exportName,
        clock: this.options.clock,
        ...(channel && services ? { services: { port: channel.port2, endpoint: services.endpoint } } : {}),
      },
      ...(channel ? { transferList: [channel.port2] } : {}),
      env: { ...this.spec.environment },
      resourceLimits: { maxOldGenerationSizeMb: this.spec.memorySize },
      stdout: this.options.onLog !== undefined,
      stderr: this.options.onLog !== undefined,
    });
    const onLog = this.options.onLog;
    if (onLog) {
      worker.stdout.setEncoding('utf8').on('data', (text: string) => onLog('stdout', text));
      worker.stderr.setEncoding('utf8').on('data', (text: string) => onLog('stderr', text));
    }
    let initialized!: (error: LambdaError | null) => void;
    const ready = new Promise<LambdaError | null>((resolve) => {
      initialized = resolve;
    });
    const sandbox: Sandbox = {
      worker,
      busy: false,
      warm: false,
      ready,
      settleInit: (error) => initialized(error),
      ...(channel ? { port: channel.port1 } : {}),
    };
    if (channel && services)
      serveSandbox(channel.port1, services, () => sandbox.pending?.background === true);
    worker.on(
      'message',
      (message: {
        id: string;
        init?: true;
        tid?: number;
        ok: boolean;
        result?: unknown;
        error?: LambdaError;
        ms: number;
      }) => {
        if (message.init) {
          if (message.tid !== undefined) sandbox.tid = message.tid;
          return initialized(message.ok ? null : message.error!);
        }
        const pending = sandbox.pending;
        if (!pending || pending.id !== message.id) return;
        this.#timers.clearTimeout(pending.timer);
        sandbox.pending = undefined;
        sandbox.warm = true;
        this.#release(sandbox);
        pending.resolve(
          message.ok
            ? { ok: true, result: message.result, cold: pending.cold, ms: message.ms }
            : { ok: false, error: message.error!, cold: pending.cold, ms: message.ms },
        );
      },
    );
    const crash = (error: Error) => {
      initialized({ errorType: 'Runtime.ExitError', errorMessage: `sandbox exited: ${error.message}` });
      const pending = sandbox.pending;
      void this.#discard(sandbox);
      pending?.resolve({
        ok: false,
        error: { errorType: 'Runtime.ExitError', errorMessage: `sandbox exited: ${error.message}` },
        cold: pending.cold,
        ms: 0,
      });
    };
    worker.on('error', crash);
    worker.on('exit', (code) => {
      if (this.#sandboxes.has(sandbox)) crash(new Error(`exit code ${code}`));
    });
    this.#sandboxes.add(sandbox);
    return sandbox;
  }
}

/**
 * Answers a sandbox's in-process HTTP requests with the runtime's dispatcher; a call made while the
 * sandbox runs a background invocation first passes the services' background gate.
 */
function serveSandbox(port: MessagePort, services: SandboxServices, background: () => boolean): void {
  port.on('message', (message: LocalHttpRequest & { id: number }) => {
    const gate = background() ? services.backgroundGate?.() : undefined;
    if (gate) void gate.then(() => answer(message));
    else answer(message);
  });
  const answer = (message: LocalHttpRequest & { id: number }) => {
    const { id } = message;
    services.dispatch(message).then(
      (response) => {
        try {
          // An exact copy: a view into Node's 8 KiB buffer pool would clone the whole pool.
          port.postMessage({ id, ...response, body: response.body.slice() });
        } catch {
          // the sandbox is gone (timed out, reclaimed): nobody waits for this answer
        }
      },
      (error: unknown) => {
        try {
          port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
        } catch {
          // as above
        }
      },
    );
  };
}
