/**
 * Calls `onGone` once the process that started this one has exited. `npm start` runs the CLI
 * through `sh -c`; a supervisor's SIGTERM to npm is forwarded to that shell, which dies without
 * passing it on, and the runtime would be left serving, orphaned. An orphan is re-parented (to
 * init or a subreaper), so a changed `process.ppid` means the parent is gone. Nothing to watch
 * when the parent is already init (pid 1, e.g. a container's entry point).
 */
export function watchParent(onGone: (parentPid: number) => void, intervalMs = 250): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => {};
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
