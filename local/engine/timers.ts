/**
 * Timers: Wait states, retry back-offs, task timeouts and heartbeats, execution timeouts. A timer
 * schedules a job on the run queue at its absolute due time (the frame's phase keeps the due time,
 * so recovery re-arms it); every job checks the frame is still in the phase that armed it.
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { Core, Exec } from './core.ts';
import { ERR } from './errors.ts';
import type { Frame } from './model.ts';
import type { Job } from './queue.ts';
import { onTaskTimeout } from './tasks.ts';

/** The armed timers, by key (a frame key, or `<exec>|#exec` for the execution timeout). */
export class Timers {
  private readonly byKey = new Map<string, TimerHandle[]>();
  constructor(
    private readonly clock: Clock,
    private readonly schedule: (job: Job) => void,
  ) {}

  add(key: string, due: number, job: Job): void {
    const h = this.clock.at(due, () => this.schedule(job));
    const list = this.byKey.get(key);
    if (list) list.push(h);
    else this.byKey.set(key, [h]);
  }

  clear(key: string): void {
    const ts = this.byKey.get(key);
    if (!ts) return;
    for (const t of ts) t.cancel();
    this.byKey.delete(key);
  }

  cancelAll(): void {
    for (const ts of this.byKey.values()) for (const t of ts) t.cancel();
    this.byKey.clear();
  }
}

/** (Re-)arm the timers the frame's phase needs (wait, retry back-off, task timeout/heartbeat). */
export const armFrameTimers = (c: Core, exec: Exec, frame: Frame): void => {
  const key = c.key(exec, frame.id);
  c.timers.clear(key);
  const ph = frame.phase;
  if (ph.k === 'wait') {
    const due = ph.due;
    c.timers.add(key, due, () => onWaitDone(c, exec, frame.id, due));
  } else if (ph.k === 'retry') {
    const due = ph.due;
    c.timers.add(key, due, () => onRetryDue(c, exec, frame.id, due));
  } else if (ph.k === 'task') {
    const seq = ph.seq;
    if (ph.timeoutAt !== undefined) {
      c.timers.add(key, ph.timeoutAt, () => onTaskTimeout(c, exec, frame.id, seq, ERR.Timeout));
    }
    if (ph.heartbeatAt !== undefined) {
      const at = ph.heartbeatAt;
      c.timers.add(key, at, () => {
        const f = exec.frames.get(frame.id);
        if (f?.phase.k === 'task' && f.phase.seq === seq && f.phase.heartbeatAt === at) {
          return onTaskTimeout(c, exec, frame.id, seq, ERR.HeartbeatTimeout);
        }
      });
    }
  }
};

/** Arm the execution's TimeoutSeconds (from its start date). */
export const armExecTimeout = (c: Core, exec: Exec): void => {
  const t = exec.def.TimeoutSeconds;
  if (!t) return;
  c.timers.add(c.key(exec, '#exec'), exec.meta.startDate + t * 1000, () => {
    if (exec.meta.status !== 'RUNNING') return;
    const tx = c.tx(exec);
    // DescribeExecution of a timed-out execution shows no error and no cause; the event names it
    c.closeExecution(tx, 'TIMED_OUT', { error: ERR.Timeout });
    c.commit(tx);
  });
};

const onWaitDone = (c: Core, exec: Exec, frameId: string, due: number): Promise<void> | undefined => {
  const frame = exec.frames.get(frameId);
  if (frame?.phase.k !== 'wait' || frame.phase.due !== due || exec.meta.status !== 'RUNNING') return;
  const ph = frame.phase;
  const tx = c.tx(exec);
  try {
    c.finishState(tx, frame, c.stateDef(exec, frame), ph.out, ph.assign);
  } catch (e) {
    const p = c.stateThrew(tx, frame, e);
    if (p) return p.then(() => c.driveAndCommit(tx, frame));
  }
  return c.driveAndCommit(tx, frame);
};

const onRetryDue = (c: Core, exec: Exec, frameId: string, due: number): Promise<void> | undefined => {
  const frame = exec.frames.get(frameId);
  if (frame?.phase.k !== 'retry' || frame.phase.due !== due || exec.meta.status !== 'RUNNING') return;
  frame.phase = { k: 'run' };
  const tx = c.tx(exec);
  c.touch(tx, frame);
  return c.driveAndCommit(tx, frame);
};
