import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

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

export interface LocalFunctionOptions {
  readonly maxConcurrency?: number;
  /** overrides the template's timeout (tests) */
  readonly timeoutMs?: number;
  /**
   * The runtime's clock as one Float64 (epoch ms) the sandbox reads for `Date`: with a virtual
   * clock, handler code sees the same time as the workflows. Absent: real time.
   */
  readonly clock?: SharedArrayBuffer;
  /** Receives what the handler writes to stdout/stderr (default: the runtime's own streams). */
  readonly onLog?: (stream: 'stdout' | 'stderr', text: string) => void;
}

const WORKER = fileURLToPath(new URL('./lambda-worker.mjs', import.meta.url));

interface Sandbox {
  readonly worker: Worker;
  busy: boolean;
  warm: boolean;
  pending?: { id: string; resolve: (r: InvokeResult) => void; timer: NodeJS.Timeout; cold: boolean };
}

/**
 * Runs one function's deployed bundle like Lambda does: each sandbox is a worker thread with the
 * function's own environment and module state, cold on first use and warm after; concurrent
 * invocations get more sandboxes (up to `maxConcurrency`); the template's timeout is enforced by
 * discarding the sandbox, so the next invocation starts cold.
 */
export class LocalFunction {
  readonly #sandboxes = new Set<Sandbox>();
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly spec: LocalFunctionSpec,
    private readonly options: LocalFunctionOptions = {},
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutMs ?? this.spec.timeoutSeconds * 1000;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const sandbox = await this.#acquire();
    const id = randomUUID();
    const cold = !sandbox.warm;
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        const error = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds`,
        };
        this.#discard(sandbox);
        resolve({ ok: false, error, cold, ms: this.timeoutMs });
      }, this.timeoutMs);
      sandbox.pending = { id, resolve, timer, cold };
      sandbox.worker.postMessage({
        id,
        event,
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
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sandboxes].map((s) => s.worker.terminate()));
    this.#sandboxes.clear();
  }

  async #acquire(): Promise<Sandbox> {
    for (;;) {
      const idle = [...this.#sandboxes].find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.#sandboxes.size < (this.options.maxConcurrency ?? 10)) {
        const sandbox = this.#spawn();
        sandbox.busy = true;
        return sandbox;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(sandbox: Sandbox): void {
    sandbox.busy = false;
    this.#waiting.shift()?.();
  }

  #discard(sandbox: Sandbox): void {
    if (sandbox.pending) clearTimeout(sandbox.pending.timer);
    sandbox.pending = undefined;
    this.#sandboxes.delete(sandbox);
    void sandbox.worker.terminate();
    this.#waiting.shift()?.();
  }

  #spawn(): Sandbox {
    const worker = new Worker(WORKER, {
      workerData: { file: this.spec.file, exportName: this.spec.exportName, clock: this.options.clock },
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
    const sandbox: Sandbox = { worker, busy: false, warm: false };
    worker.on(
      'message',
      (message: { id: string; ok: boolean; result?: unknown; error?: LambdaError; ms: number }) => {
        const pending = sandbox.pending;
        if (!pending || pending.id !== message.id) return;
        clearTimeout(pending.timer);
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
      const pending = sandbox.pending;
      this.#discard(sandbox);
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
