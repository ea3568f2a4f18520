/** How a part of `npm run bench` (`bench/part.ts`) tells `bench/run.ts` its outcome: its exit code. */
export const PART_EXIT = { ok: 0, failed: 1, missed: 2, selfRunning: 3 } as const;
