/**
 * Schedules: rule schedules and EventBridge Scheduler schedules (declared in the assembly or made through the
 * Scheduler API) waiting for their next occurrence, firing, and being deleted after completion.
 *
 * A rule with a ScheduleExpression sends `{"detail-type": "Scheduled Event", "source": "aws.events", "resources":
 * [ruleArn], "detail": {}}` to its targets (through their Input settings); a rule's rate counts from when the rule
 * was first seen. A Scheduler schedule sends its target Input (context attributes substituted) to its target. Each
 * schedule's next occurrence is persisted: an occurrence that came due while the process was down fires once when
 * it starts (several missed ones are coalesced into that one firing, which carries the first missed occurrence's
 * time), then the schedule continues from the next occurrence after now. An occurrence is committed together with
 * its deliveries, so a restart neither loses nor repeats it. A Scheduler `at()` time that had already passed when
 * the schedule was first seen (declared or created) does not fire. Flexible time windows are ignored (targets run
 * on time). ActionAfterCompletion DELETE deletes a schedule once its last occurrence's delivery is over, delivered
 * or dead-lettered (an assembly schedule is hidden from the Scheduler API then, its state kept).
 *
 * Schedules do not hold a clock timer each: they wait in a heap by due time under a single clock timer armed for
 * the earliest, and every schedule due at that instant fires in one batch with one journal commit, so tens of
 * thousands of pending one-time schedules cost a heap entry each.
 */
import type { TimerHandle } from '../engine/clock.ts';
import { MinHeap } from '../sqs/heap.ts';
import { schedulerRt, specOf } from './config.ts';
import { ApiSchedule, groupAndNameOf } from './definitions.ts';
import { PARK_AFTER_MS } from './parked.ts';
import type { EventBridgeEvent } from './pattern.ts';
import { firstOccurrence, isoSeconds, occurrenceAfter, type ScheduleTiming } from './schedule.ts';
import {
  groupArnOf,
  type ScheduleDefinition,
  type SchedulerStore,
  type ScheduleSource,
  type StoredSchedule,
  scheduleArnOf,
} from './scheduler.ts';
import {
  afterCompletion,
  type BridgeCore,
  type Delivery,
  type DueEntry,
  type ScheduleRt,
  stripUndefined,
  uuidFrom,
} from './state.ts';

/** The index of the first of sorted `keys` greater than `x`. */
function upperBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ScheduleRunner {
  /** schedules waiting for their next occurrence, by due time; one clock timer for the earliest */
  private readonly due = new MinHeap<DueEntry>();
  private staleEntries = 0;
  private dueTimer: { readonly at: number; readonly handle: TimerHandle } | undefined;
  /** keys of the Scheduler schedules the API shows, sorted (rebuilt after a change, when listed) */
  private sortedKeys: string[] | undefined;

  constructor(private readonly core: BridgeCore) {}

  /** Stops the one clock timer (at shutdown). */
  stop(): void {
    this.dueTimer?.handle.cancel();
    this.dueTimer = undefined;
  }

  /** A schedule's first occurrence from `now`, where it starts afresh (new, changed or updated). */
  start(s: ScheduleRt, now: number, timing?: ScheduleTiming): void {
    s.anchor = now;
    if (!s.enabled) {
      s.next = undefined;
      return;
    }
    timing ??= s.timing; // an API schedule's is read from disk: once, unless the caller has it
    s.next = firstOccurrence(timing, now);
    if (s.next === undefined && timing.expression.kind === 'at') {
      this.core.log(
        `schedule ${s.name}: ${timing.expression.text} had already passed when it was created; it will not run`,
      );
    }
  }

  /**
   * Puts a schedule in the due-time heap for its next occurrence (taking out its previous place), and re-arms the
   * one clock timer if it is now the earliest. Tens of thousands of pending one-time schedules cost a heap entry
   * each, not a timer each.
   */
  armSchedule(s: ScheduleRt): void {
    this.unarmSchedule(s);
    if (
      this.core.closed ||
      !s.enabled ||
      s.gone ||
      s.next === undefined ||
      this.core.schedules.get(s.key) !== s
    )
      return;
    if (this.parkable(s)) {
      // far off and nothing to do until then: kept as numbers, its key on disk (parked.ts)
      this.core.schedules.delete(s.key);
      this.core.parked.park(s);
    } else {
      const entry: DueEntry = { s };
      s.entry = entry;
      this.due.push(s.next, entry);
    }
    if (this.dueTimer === undefined || s.next < this.dueTimer.at) this.armDueTimer();
  }

  /** An API at() schedule, enabled, not fired, nothing in flight, due after the parking horizon. */
  private parkable(s: ScheduleRt): s is ApiSchedule {
    return (
      s instanceof ApiSchedule &&
      s.oneTime &&
      s.enabled &&
      !s.gone &&
      s.inflight === 0 &&
      s.last === undefined &&
      s.len > 0 &&
      s.next !== undefined &&
      s.next > this.core.clock.now() + PARK_AFTER_MS
    );
  }

  /**
   * The schedule `key`, a parked one taken back into memory (to be deleted, replaced or fired; whoever takes it
   * arms it again or lets it go).
   */
  private lookup(key: string): ScheduleRt | undefined {
    const s = this.core.schedules.get(key);
    if (s) return s;
    const taken = this.core.parked.takeKey(key);
    if (taken) this.core.schedules.set(taken.key, taken);
    return taken;
  }

  unarmSchedule(s: ScheduleRt): void {
    if (!s.entry) return;
    s.entry = undefined;
    this.staleEntries++;
    if (this.staleEntries > 1024 && this.staleEntries * 2 > this.due.size) {
      this.due.filter((_, e) => e.s.entry === e);
      this.staleEntries = 0;
    }
  }

  /** Due time of the earliest schedule, live or parked. */
  private nextDueAt(): number | undefined {
    const live = this.nextLiveDueAt();
    const parked = this.core.parked.nextDue();
    return parked === undefined || (live !== undefined && live <= parked) ? live : parked;
  }

  /** Due time of the earliest live heap entry (stale ones on top are dropped). */
  private nextLiveDueAt(): number | undefined {
    for (let top = this.due.peek(); top; top = this.due.peek()) {
      if (top.value.s.entry === top.value) return top.key;
      this.due.pop();
      this.staleEntries--;
    }
    return undefined;
  }

  armDueTimer(): void {
    const at = this.core.closed ? undefined : this.nextDueAt();
    if (this.dueTimer?.at === at) return;
    this.dueTimer?.handle.cancel();
    this.dueTimer = undefined;
    if (at === undefined) return;
    this.dueTimer = {
      at,
      handle: this.core.clock.at(at, () => {
        this.dueTimer = undefined;
        this.fireDue();
      }),
    };
  }

  /** Fires every schedule due by now, as one batch (one journal commit). */
  private fireDue(): void {
    if (this.core.closed) return;
    const now = this.core.clock.now();
    const batch: ScheduleRt[] = [];
    for (let at = this.nextLiveDueAt(); at !== undefined && at <= now; at = this.nextLiveDueAt()) {
      const { value } = this.due.pop()!;
      value.s.entry = undefined;
      batch.push(value.s);
    }
    const parked = this.core.parked.takeDue(now);
    for (const s of parked) {
      this.core.schedules.set(s.key, s);
      batch.push(s);
    }
    // the two heaps' schedules in one due-time order (a stable sort: ties keep each heap's order)
    if (parked.length > 0 && parked.length < batch.length) batch.sort((a, b) => a.next! - b.next!);
    if (batch.length > 0) this.core.track(this.fire(batch));
    this.armDueTimer();
  }

  private async fire(batch: readonly ScheduleRt[]): Promise<void> {
    if (this.core.closed) return;
    const now = this.core.clock.now();
    const created: Delivery[] = [];
    const fired: ScheduleRt[] = [];
    for (const s of batch) {
      if (s.next === undefined || !s.enabled || s.gone || this.core.schedules.get(s.key) !== s) continue;
      const occurrence = s.next;
      // an API at() schedule has no next occurrence: its definition is not read to learn that
      const following = s.oneTime
        ? undefined
        : occurrenceAfter(s.timing, s.anchor, Math.max(occurrence, now));
      const iid = `${s.key}@${occurrence}`;
      if (s.kind === 'rule') {
        const rule = s.rule!;
        const ev: EventBridgeEvent = {
          version: '0',
          id: uuidFrom(iid),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: this.core.opts.account,
          time: isoSeconds(occurrence),
          region: this.core.opts.region,
          resources: [rule.spec.arn],
          detail: {},
        };
        const ds: Delivery[] = [];
        for (const target of rule.targets.values()) {
          const k = `${iid}|${rule.spec.arn}|${target.spec.id}`;
          if (!this.core.deliveries.has(k)) {
            ds.push({ k, i: iid, rule: rule.spec.arn, tgt: target.spec.id, n: 0, due: now, first: now });
          }
        }
        if (ds.length > 0) this.core.storeEvent(iid, rule.bus.name, ev, now, ds);
        created.push(...ds);
      } else if (!this.core.deliveries.has(iid)) {
        const d: Delivery = { k: iid, sch: s.key, at: occurrence, n: 0, due: now, first: now };
        created.push(d);
        s.inflight++;
        this.core.deliveries.set(d.k, d);
        this.core.journal.append(this.core.deliveryRecord(d));
      }
      s.last = occurrence;
      s.next = following;
      this.core.journal.append(this.core.scheduleRecord(s));
      this.core.counters.scheduleFirings++;
      fired.push(s);
      const late = now - occurrence >= 60_000 ? ` (due ${isoSeconds(occurrence)}, missed while stopped)` : '';
      this.core.log(
        `schedule ${s.name} fired${late || ` at ${isoSeconds(occurrence)}`}; next ${following === undefined ? 'none' : isoSeconds(following)}`,
      );
    }
    await this.core.journal.commit();
    if (this.core.closed) return;
    for (const d of created) this.core.delivery.arm(d);
    for (const s of fired) {
      if (s.next === undefined && afterCompletion(s) !== 'DELETE')
        this.core.log(`schedule ${s.name} completed`);
      this.armSchedule(s);
    }
    this.core.maybeCompact();
  }

  /** ActionAfterCompletion DELETE, its last occurrence fired and its delivery over (delivered or not). */
  deletableAfterCompletion(s: ScheduleRt): boolean {
    // what the schedule holds first: an API schedule's completion action is read from its definition
    return (
      s.kind === 'scheduler' &&
      s.enabled &&
      !s.gone &&
      s.next === undefined &&
      s.last !== undefined &&
      s.inflight === 0 &&
      this.core.schedules.get(s.key) === s &&
      afterCompletion(s) === 'DELETE'
    );
  }

  /** Deletes a completed schedule (appended; the caller commits). Assembly schedules are hidden, kept. */
  removeCompleted(s: ScheduleRt): void {
    this.unarmSchedule(s);
    if (s.source === 'assembly') {
      s.gone = true;
      this.core.journal.append(this.core.scheduleRecord(s));
    } else {
      this.core.schedules.delete(s.key);
      if (s instanceof ApiSchedule) s.release();
      this.core.journal.append({ t: 'z', k: s.key });
    }
    this.sortedKeys = undefined;
    this.core.log(`schedule ${s.name} completed and deleted (ActionAfterCompletion DELETE)`);
  }

  // ------------------------------------------------------------------ Scheduler API store

  /** The Scheduler API's view of this bus's schedules and groups (see scheduler.ts). */
  schedulerStore(): SchedulerStore {
    const { region, account } = this.core.opts;
    const keyOf = (group: string, name: string) => `schedule:${scheduleArnOf(region, account, group, name)}`;
    const visible = (key: string): ScheduleRt | undefined => {
      const s = this.lookup(key);
      return s && s.kind === 'scheduler' && !s.gone ? s : undefined;
    };
    const groupInfo = (g: { name: string; source: 'default' | ScheduleSource; created?: number }) => {
      const created =
        g.source === 'api' ? g.created : g.source === 'assembly' ? this.core.startedAt : undefined;
      return {
        Arn: groupArnOf(region, account, g.name),
        Name: g.name,
        State: 'ACTIVE' as const,
        ...(created !== undefined
          ? { CreationDate: created / 1000, LastModificationDate: created / 1000 }
          : {}),
      };
    };
    const ready = () => {
      if (this.core.closed) throw new Error('the local EventBridge is closed');
    };
    return {
      region,
      account,
      now: () => this.core.clock.now(),
      group: (name) => {
        const g = this.core.groups.get(name);
        return g ? { ...groupInfo(g), source: g.source } : undefined;
      },
      groups: () =>
        [...this.core.groups.values()]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map(groupInfo),
      createGroup: async (name) => {
        ready();
        const g = { name, source: 'api' as const, created: this.core.clock.now() };
        this.core.groups.set(name, g);
        this.core.journal.append({ t: 'g', name, at: g.created });
        await this.core.journal.commit();
        return groupInfo(g);
      },
      deleteGroup: async (name) => {
        ready();
        const prefix = keyOf(name, '');
        for (const p of [...this.core.parked.views()]) {
          if (p.key.startsWith(prefix)) this.lookup(p.key);
        }
        for (const s of [...this.core.schedules.values()]) {
          if (s instanceof ApiSchedule && s.group === name) this.deleteApiSchedule(s);
        }
        this.core.groups.delete(name);
        this.core.journal.append({ t: 'G', name });
        await this.core.journal.commit();
        this.core.maybeCompact();
      },
      get: (group, name): StoredSchedule | undefined => {
        const key = keyOf(group, name);
        // a parked schedule is read where it is, and stays parked
        const parked = this.core.schedules.has(key) ? undefined : this.core.parked.read(key);
        if (parked) {
          const { def, tok } = parked.stored;
          return { definition: def, source: 'api', ...(tok ? { clientToken: tok } : {}) };
        }
        const s = visible(key);
        if (!s) return undefined;
        if (s instanceof ApiSchedule) {
          const { def, tok } = s.stored();
          return { definition: def, source: 'api', ...(tok ? { clientToken: tok } : {}) };
        }
        return { definition: this.definitionOf(s), source: s.source ?? 'assembly' };
      },
      put: async (def, clientToken) => {
        ready();
        const checked = schedulerRt(specOf(def), `schedule ${def.GroupName}/${def.Name}`, 'api');
        const s = ApiSchedule.create(this.core.definitions, checked, def, clientToken);
        // after what can throw: a parked schedule taken back here is replaced below
        const prior = this.lookup(checked.key);
        if (prior) {
          this.unarmSchedule(prior);
          if (prior instanceof ApiSchedule) prior.release();
          s.inflight = prior.inflight;
        } else this.sortedKeys = undefined;
        this.start(s, this.core.clock.now(), checked.timing);
        // keyed by the schedule's own key string: `key` is an equal copy (~150 B a schedule more)
        this.core.schedules.set(s.key, s);
        // the definition as the request gave it: the same as `scheduleRecord(s, true)`, without reading it back
        this.core.journal.append({
          ...this.core.scheduleRecord(s),
          def,
          ...(clientToken ? { tok: clientToken } : {}),
        });
        await this.core.journal.commit();
        this.armSchedule(s);
        this.core.maybeCompact();
      },
      delete: async (group, name) => {
        ready();
        const s = visible(keyOf(group, name));
        if (s instanceof ApiSchedule) this.deleteApiSchedule(s);
        await this.core.journal.commit();
        this.core.maybeCompact();
      },
      list: (after, keep, limit) => {
        // a parked schedule's key is read from the file once here (its ARN names its group and schedule)
        this.sortedKeys ??= [
          ...[...this.core.schedules.values()]
            .filter((s) => s.kind === 'scheduler' && !s.gone)
            .map((s) => s.key),
          ...[...this.core.parked.views()].map((p) => p.key),
        ].sort();
        const keys = this.sortedKeys;
        let i = after === undefined ? 0 : upperBound(keys, after);
        const items: ScheduleDefinition[] = [];
        for (; i < keys.length && items.length < limit; i++) {
          const key = keys[i]!;
          if (!this.core.schedules.has(key)) {
            // parked (or deleted since): enabled, its group and name in its key; its definition is read only when
            // it is listed
            const { group, name } = groupAndNameOf(key);
            const listing = { GroupName: group, Name: name, State: 'ENABLED' as const };
            const parked = keep(listing) ? this.core.parked.read(key) : undefined;
            if (parked) items.push(parked.stored.def);
            continue;
          }
          const s = visible(key);
          if (!s) continue;
          // filtered on what memory holds: an API schedule's definition is read only when it is listed
          const listing = {
            GroupName: s instanceof ApiSchedule ? s.group : (s.spec?.groupName ?? 'default'),
            Name: s.name,
            State: s.enabled ? ('ENABLED' as const) : ('DISABLED' as const),
          };
          if (keep(listing)) items.push(this.definitionOf(s));
        }
        return i < keys.length ? { items, cursor: keys[i - 1]! } : { items };
      },
    };
  }

  /** Rewrites the file of the API schedules' definitions when most of it is dead (see definitions.ts). */
  maybeCompactDefinitions(): void {
    if (this.core.closed || !this.core.definitions.wasteful) return;
    const live: Array<{ at: number; readonly len: number }> = [];
    for (const s of this.core.schedules.values()) if (s instanceof ApiSchedule) live.push(s);
    const parked = this.core.parked.places();
    this.core.definitions.compact([...live, ...parked]);
    this.core.parked.moved(parked);
  }

  /** DeleteSchedule (and its group's deletion): the schedule and its pending deliveries (appended). */
  private deleteApiSchedule(s: ApiSchedule): void {
    this.unarmSchedule(s);
    this.core.schedules.delete(s.key);
    s.release();
    this.sortedKeys = undefined;
    this.core.journal.append({ t: 'z', k: s.key });
    if (s.inflight > 0) {
      for (const d of [...this.core.deliveries.values()]) {
        if (d.sch !== s.key || d.running) continue;
        d.timer?.cancel();
        this.core.deliveries.delete(d.k);
        this.core.journal.append({ t: 'x', k: d.k });
      }
    }
    this.core.log(`schedule ${s.group}/${s.name} deleted`);
  }

  /** What GetSchedule shows: an API schedule's definition, or one made from an assembly schedule's spec. */
  private definitionOf(s: ScheduleRt): ScheduleDefinition {
    if (s instanceof ApiSchedule) return s.def;
    const spec = s.spec!;
    const created = s.anchor / 1000;
    const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);
    return stripUndefined({
      Arn: spec.arn,
      Name: spec.name,
      GroupName: spec.groupName ?? 'default',
      ScheduleExpression: spec.scheduleExpression,
      ScheduleExpressionTimezone: spec.timezone,
      StartDate: seconds(spec.startDate),
      EndDate: seconds(spec.endDate),
      Description: spec.description,
      State: spec.state,
      Target: stripUndefined({
        Arn: spec.target.arn,
        RoleArn: spec.target.roleArn,
        Input: spec.target.input,
        RetryPolicy: { MaximumEventAgeInSeconds: s.maxAgeMs / 1000, MaximumRetryAttempts: s.maxRetries },
        DeadLetterConfig: spec.target.deadLetterArn ? { Arn: spec.target.deadLetterArn } : undefined,
      }),
      FlexibleTimeWindow:
        spec.flexibleWindowMinutes !== undefined
          ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: spec.flexibleWindowMinutes }
          : { Mode: 'OFF' },
      ActionAfterCompletion: spec.actionAfterCompletion ?? 'NONE',
      CreationDate: created,
      LastModificationDate: created,
    }) as unknown as ScheduleDefinition;
  }
}
