/**
 * Delivery: each (event, rule, target) or (schedule occurrence) delivery is attempted when due, its payload
 * rendered by the target's input settings, retried after a failure with back-off until the retry policy gives
 * up, then sent to the dead-letter queue (or dropped), and finished: removed from the journal.
 *
 * Retries. A failed `deliver` is retried after 1 s, 2 s, 4 s, ... doubling up to 3 minutes, without jitter (AWS uses
 * exponential back-off with jitter; this keeps tests deterministic). Retries stop when MaximumRetryAttempts retries
 * (default 185) have failed, or when the next retry would fall after MaximumEventAgeInSeconds (default 86400) from
 * when the event was received; the event then goes to the target's dead-letter queue if it has one (with the
 * RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS attributes; Scheduler
 * sends SCHEDULE_ARN instead of RULE_ARN), else it is dropped and logged. A `deliver` rejection marked
 * `retryable: false` (see {@link DeliveryError}) skips the retries; so does a transformed payload that is not JSON
 * (INVALID_JSON, "Invalid input for target."). For rule targets such a failure's dead-letter message carries only
 * RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE, and its body is the payload the target was (to be) sent,
 * as AWS's are. A payload that is empty is sent nowhere: the delivery ends, logged and counted as dropped.
 */
import { randomBytes } from 'node:crypto';
import { isoSeconds } from './schedule.ts';
import { type BridgeCore, type Delivery, describeFailure, message, type Resolved } from './state.ts';
import { INVALID_INPUT, type RenderedInput, renderSchedulerInput } from './transform.ts';

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 180_000;

/** Wait before the retry that follows failed attempt `attempt` (1-based): 1 s doubling, capped at 3 minutes. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);

export class Deliverer {
  constructor(private readonly core: BridgeCore) {}

  arm(d: Delivery): void {
    if (this.core.closed) return;
    d.timer?.cancel();
    d.timer = this.core.clock.at(d.due, () => {
      d.timer = undefined;
      this.startAttempt(d);
    });
  }

  private startAttempt(d: Delivery): void {
    if (this.core.closed || d.running || this.core.deliveries.get(d.k) !== d) return;
    d.running = true;
    this.core.track(
      this.attempt(d).finally(() => {
        d.running = false;
      }),
      'inflight',
    );
  }

  private resolve(d: Delivery): Resolved | undefined {
    if (d.sch) {
      const s = this.core.schedules.get(d.sch);
      if (s?.kind !== 'scheduler') return undefined;
      const def = s.def; // an API schedule's is read from disk: once
      const target = def
        ? { arn: def.Target.Arn, input: def.Target.Input, dlq: def.Target.DeadLetterConfig?.Arn }
        : { arn: s.spec!.target.arn, input: s.spec!.target.input, dlq: s.spec!.target.deadLetterArn };
      const input = target.input ?? '{}';
      const scheduledTime = isoSeconds(d.at ?? d.first);
      let last = input;
      return {
        arn: target.arn,
        label: `schedule ${s.name} (${scheduledTime}) → target ${target.arn}`,
        maxRetries: s.maxRetries,
        maxAgeMs: s.maxAgeMs,
        ...(target.dlq ? { dlq: target.dlq } : {}),
        dlqAttributes: { SCHEDULE_ARN: s.arn, TARGET_ARN: target.arn },
        payload: (attempt) => {
          last = renderSchedulerInput(input, {
            scheduleArn: s.arn,
            scheduledTime,
            executionId: randomBytes(8).toString('hex'),
            attemptNumber: attempt,
          });
          return { text: last };
        },
        dlqBody: () => last,
        retryAttemptsWhenNotRetried: true,
        info: (attempt) => ({ schedule: s.name, scheduleArn: s.arn, attempt }),
      };
    }
    const stored = this.core.events.get(d.i ?? '');
    const rule = this.core.rules.get(d.rule ?? '');
    const target = rule?.targets.get(d.tgt ?? '');
    if (!stored || !rule || !target) return undefined;
    const ev = stored.ev;
    let rendered: RenderedInput | undefined;
    const render = (): RenderedInput => {
      rendered ??= target.render(ev, {
        ruleArn: rule.spec.arn,
        ruleName: rule.spec.name,
        ingestionTime: new Date(stored.ing).toISOString(),
      });
      return rendered;
    };
    const replayName = typeof ev['replay-name'] === 'string' ? ev['replay-name'] : undefined;
    return {
      arn: target.spec.arn,
      label:
        ev.source === 'aws.events' && ev['detail-type'] === 'Scheduled Event'
          ? `schedule of rule ${rule.spec.name} (${ev.time}) → target ${target.spec.id}`
          : `event ${ev.source} ${ev['detail-type']}${replayName ? ` (replay ${replayName})` : ''} → rule ${rule.spec.name} → target ${target.spec.id}`,
      maxRetries: target.maxRetries,
      maxAgeMs: target.maxAgeMs,
      ...(target.spec.deadLetterArn ? { dlq: target.spec.deadLetterArn } : {}),
      dlqAttributes: { RULE_ARN: rule.spec.arn, TARGET_ARN: target.spec.arn },
      payload: render,
      dlqBody: () => render().text,
      retryAttemptsWhenNotRetried: false,
      info: (attempt) => ({
        rule: rule.spec.name,
        ruleArn: rule.spec.arn,
        targetId: target.spec.id,
        attempt,
        eventId: ev.id,
        ...(replayName ? { replayName } : {}),
      }),
    };
  }

  private async attempt(d: Delivery): Promise<void> {
    const target = this.resolve(d);
    if (!target) {
      this.core.log(`delivery ${d.k} dropped: its rule, target or schedule no longer exists`);
      this.finish(d);
      return;
    }
    if (this.core.clock.now() - d.first > target.maxAgeMs) {
      const err = d.err ?? {
        code: 'EVENT_EXPIRED',
        message: 'the event became older than MaximumEventAgeInSeconds',
      };
      await this.giveUp(d, target, err, 'MaximumEventAgeInSeconds');
      return;
    }
    let payload: string;
    try {
      const rendered = target.payload(d.n + 1);
      if (rendered.problem === 'empty') {
        this.core.counters.dropped++;
        this.core.log(`${target.label}: the target input is empty; nothing sent`);
        this.finish(d);
        return;
      }
      if (rendered.problem === 'invalid') {
        this.core.log(`${target.label}: the transformed input is not JSON: ${rendered.text.slice(0, 200)}`);
        await this.giveUp(d, target, INVALID_INPUT, undefined);
        return;
      }
      payload = rendered.text;
    } catch (e) {
      this.core.log(`${target.label}: input transformation failed: ${message(e)}`);
      await this.giveUp(d, target, { code: 'INTERNAL_ERROR', message: message(e) }, undefined);
      return;
    }
    d.n += 1;
    const attempt = d.n;
    try {
      await this.core.opts.deliver(target.arn, payload, target.info(attempt));
    } catch (error) {
      if (!this.core.closed) await this.failed(d, target, error, attempt);
      return;
    }
    if (this.core.closed) return;
    this.core.counters.delivered++;
    this.core.log(`${target.label} ok (attempt ${attempt})`);
    this.finish(d, true);
  }

  private async failed(d: Delivery, target: Resolved, error: unknown, attempt: number): Promise<void> {
    const err = describeFailure(error);
    d.err = { code: err.code, message: err.message };
    if (!err.retryable) {
      this.core.log(
        `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; not retryable`,
      );
      await this.giveUp(d, target, err, undefined);
      return;
    }
    if (attempt - 1 >= target.maxRetries) {
      this.core.log(
        `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; retries exhausted`,
      );
      await this.giveUp(d, target, err, 'MaximumRetryAttempts');
      return;
    }
    const delay = retryDelayMs(attempt);
    const due = this.core.clock.now() + delay;
    if (due - d.first > target.maxAgeMs) {
      this.core.log(
        `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; maximum event age reached`,
      );
      await this.giveUp(d, target, err, 'MaximumEventAgeInSeconds');
      return;
    }
    d.due = due;
    this.core.counters.retries++;
    this.core.log(
      `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; retry in ${delay / 1000}s`,
    );
    this.core.journal.append(this.core.deliveryRecord(d));
    this.core.commitSoon();
    this.arm(d);
  }

  private async giveUp(
    d: Delivery,
    target: Resolved,
    err: { code: string; message: string },
    exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined,
  ): Promise<void> {
    if (target.dlq) {
      const attributes: Record<string, string> = {
        ...target.dlqAttributes,
        ERROR_CODE: err.code,
        ERROR_MESSAGE: err.message,
        ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
        ...(exhausted || target.retryAttemptsWhenNotRetried
          ? { RETRY_ATTEMPTS: String(Math.max(0, d.n - 1)) }
          : {}),
      };
      try {
        await this.core.opts.sendToDeadLetter(target.dlq, target.dlqBody(), attributes);
        this.core.counters.deadLettered++;
        this.core.log(`${target.label} dead-lettered to ${target.dlq} (${err.code})`);
      } catch (e) {
        this.core.counters.dropped++;
        this.core.log(
          `${target.label} could not be sent to dead-letter queue ${target.dlq} (${message(e)}); dropped`,
        );
      }
    } else {
      this.core.counters.dropped++;
      this.core.log(`${target.label} dropped after ${d.n} attempt(s): ${err.code}: ${err.message}`);
    }
    this.finish(d);
  }

  /**
   * The delivery is over (delivered, dead-lettered or dropped). `delivered`: its record need not be
   * durable at once (lost in a crash, the event is delivered again, at-least-once as on AWS; the
   * target already holds it durably), so it goes with the next commit, within COMMIT_LATER_MS.
   */
  finish(d: Delivery, delivered = false): void {
    if (this.core.closed) return;
    d.timer?.cancel();
    if (this.core.deliveries.get(d.k) !== d) return;
    this.core.deliveries.delete(d.k);
    this.core.journal.append({ t: 'x', k: d.k });
    if (d.i) {
      const e = this.core.events.get(d.i);
      if (e && --e.refs <= 0) this.core.events.delete(d.i);
    }
    const s = d.sch ? this.core.schedules.get(d.sch) : undefined;
    if (s) {
      s.inflight = Math.max(0, s.inflight - 1);
      // ActionAfterCompletion DELETE: once its last invocation is over, delivered or not.
      if (this.core.runner.deletableAfterCompletion(s)) this.core.runner.removeCompleted(s);
    }
    if (delivered && !s) {
      this.core.journal.commitLater();
      this.core.maybeCompact();
    } else this.core.commitSoon();
  }

  // ------------------------------------------------------------------ schedules
}
