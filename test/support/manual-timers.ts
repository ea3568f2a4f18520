/** Timers a test fires by hand: `armed` counts those pending, `fireAll` runs them all once. */
export function manualTimers() {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (callback: () => void) => {
      due.set(++next, callback);
      return next;
    },
    clearTimeout: (handle: unknown) => {
      due.delete(handle as number);
    },
    get armed() {
      return due.size;
    },
    fireAll() {
      const callbacks = [...due.values()];
      due.clear();
      for (const c of callbacks) c();
    },
  };
}
