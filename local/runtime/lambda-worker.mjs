// One Lambda sandbox: a worker thread with its own environment and module state. It imports the
// function's bundle once (the cold start) and then serves one invocation at a time.

import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { file, exportName, clock, services } = workerData;
// Calls to the runtime's own endpoint go to the main thread over a MessagePort, not loopback TCP.
if (services) {
  const { installSandboxTransport } = await import('./sandbox-transport.mjs');
  installSandboxTransport(services.port, services.endpoint);
}
let handler;
// Real time for durations and the deadline, whatever clock the handler sees.
const realNow = Date.now.bind(Date);

if (clock) {
  // The runtime's virtual clock: `Date.now()` and `new Date()` read the shared epoch milliseconds.
  const shared = new Float64Array(clock);
  const RealDate = Date;
  class ClockDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(shared[0]);
      else super(...args);
    }
    static now() {
      return shared[0];
    }
  }
  globalThis.Date = ClockDate;
}

async function load() {
  const mod = await import(pathToFileURL(file).href);
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== 'function') {
    const error = new Error(`${file} does not export a function named ${exportName}`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return fn;
}

// The init phase, as Lambda runs it: the bundle is imported when the sandbox starts, before and
// apart from the first invocation (whose timeout does not include it). A failed import is reported
// now and again to the invocation that meets it.
let initError;
try {
  handler = await load();
} catch (error) {
  initError = error instanceof Error ? error : new Error(String(error));
}
// The sandbox's thread id (Linux), so the runtime can tell its CPU time apart (benches).
let tid;
try {
  tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
} catch {
  tid = undefined;
}
parentPort.postMessage({
  init: true,
  ok: !initError,
  ...(Number.isSafeInteger(tid) && tid > 0 ? { tid } : {}),
  ...(initError ? { error: { errorType: initError.name || 'Error', errorMessage: initError.message } } : {}),
});

// A sandbox that serves asynchronous invocations (nobody waiting) yields the cores to those that
// serve requests: its thread runs at a lower scheduling priority (Linux: a thread is a task with its
// own nice value). One way: an unprivileged thread may not raise its priority back.
export const BACKGROUND_NICE = 10;
let lowered = false;
function lowerPriority() {
  lowered = true;
  try {
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, Math.max(getPriority(tid), BACKGROUND_NICE));
  } catch {
    // not Linux, or not allowed: the sandbox keeps the process's priority
  }
}

parentPort.on('message', async ({ id, event, payload, context, background }) => {
  if (background && !lowered) lowerPriority();
  const started = realNow();
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - realNow()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    if (initError) throw initError;
    // JSON text (see JsonPayload in lambda.ts) is parsed here, off the runtime's main thread.
    const result = await handler(payload !== undefined ? JSON.parse(payload) : event, lambdaContext);
    parentPort.postMessage({
      id,
      ok: true,
      result: result === undefined ? null : result,
      ms: realNow() - started,
    });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({
      id,
      ok: false,
      error: {
        errorType: e.name || 'Error',
        errorMessage: e.message,
        trace: String(e.stack ?? '').split('\n'),
      },
      ms: realNow() - started,
    });
  }
});
