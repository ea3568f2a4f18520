/**
 * The local EventBridge: event buses with rules, targets, retries, dead-letter queues, archives and replays, rule
 * schedules and EventBridge Scheduler schedules, durable in a directory and driven by a {@link Clock}.
 *
 * This module holds the bus's state, its journal and PutEvents; its parts live beside it:
 *  - types.ts: the public types (specs, options, the LocalEventBridge interface, errors);
 *  - state.ts: the runtime structures and journal records, and {@link BridgeCore}, the view the parts share;
 *  - config.ts: the assembly's configuration compiled (patterns, targets, schedules);
 *  - delivery.ts: attempts, retries, dead-letter queues;
 *  - archive.ts: archives and replays;
 *  - schedule-runner.ts: rule and Scheduler schedules firing, and the Scheduler API's store;
 *  - rules.ts: the rules and buses made through the API;
 *  - protocol.ts: the awsJson EventBridge API over the bus.
 *
 * Durability. Everything in flight lives in `<dir>/events.jsonl` (a {@link Journal} of idempotent upserts): each
 * accepted event that matched a rule, each (event, rule, target) delivery with its attempt count, first-seen time
 * and next due time, each schedule's next occurrence, each replay. `putEvents` returns only after that is committed,
 * so after a crash (kill -9) a new instance on the same directory retries every delivery not yet delivered or
 * dead-lettered, keeping its attempt count and age. Archived events live in `<dir>/archive.jsonl` and only there
 * (see archive.ts); that journal is committed after `putEvents` returns, shared by the calls of a few milliseconds,
 * and until then an `A` record in the main journal's commit stands for an event's archive records: on start, those
 * the archive does not hold are archived. The main journal is compacted (`rewrite`) once it holds far more records
 * than are live.
 *
 * Delivery is at least once: a delivery whose result was not recorded before a crash is attempted again.
 *
 * Scheduler schedules also come from the Scheduler API (`scheduler`, see scheduler.ts): their definitions are
 * journaled with their state, and their deletions, so they survive restarts and compaction as the rest does.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../engine/clock.ts';
import { Journal } from '../runtime/journal.ts';
import { Archives } from './archive.ts';
import { compileConfig, findBus } from './config.ts';
import { ApiSchedule, apiSchedule, DefinitionFile } from './definitions.ts';
import { Deliverer } from './delivery.ts';
import { ParkedSchedules } from './parked.ts';
import type { EventBridgeEvent } from './pattern.ts';
import { handleRequest } from './protocol.ts';
import { RuleStore } from './rules.ts';
import { isoSeconds, ScheduleExpressionError } from './schedule.ts';
import { ScheduleRunner } from './schedule-runner.ts';
import { createSchedulerApi, type SchedulerApi } from './scheduler.ts';
import {
  type ArchiveRecord,
  type ArchiveRt,
  type ArchivingRecord,
  type BridgeCore,
  type Bus,
  type BusRecord,
  type Counters,
  type Delivery,
  type DeliveryRecord,
  type Group,
  isObject,
  message,
  type Rec,
  type Replay,
  type RuleRt,
  type ScheduleRecord,
  type ScheduleRt,
  type StoredEvent,
  serializeRecord,
  toMs,
  utf8,
} from './state.ts';
import { TransformError } from './transform.ts';
import {
  type ApiResponse,
  EventBridgeError,
  type EventBridgeOptions,
  type EventBridgeStats,
  type LocalEventBridge,
  type PutEventsRequestEntry,
  type PutEventsResult,
  type PutEventsResultEntry,
  type RuleSpec,
  type StartReplayRequest,
} from './types.ts';

export { retryDelayMs } from './delivery.ts';
export * from './types.ts';

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/**
 * How long an accepted event's archive records may wait for other PutEvents calls' to share their
 * commit (`Journal.commitWithin`); the main journal's `A` records stand for them meanwhile.
 */
export const ARCHIVE_COMMIT_WINDOW_MS = 50;

/** Creates the bus, replays its journal and resumes pending deliveries, schedules and replays. */
export async function createEventBridge(opts: EventBridgeOptions): Promise<LocalEventBridge> {
  const bridge = new Bridge(opts);
  await bridge.init();
  return bridge;
}

class Bridge implements LocalEventBridge, BridgeCore {
  readonly clock: Clock;
  readonly compactEvery: number;
  journal!: Journal<Rec>;
  archiveJournal!: Journal<ArchiveRecord>;
  definitions!: DefinitionFile;
  parked!: ParkedSchedules;

  readonly busesByName: Map<string, Bus>;
  readonly busesByArn: Map<string, Bus>;
  readonly rules: Map<string, RuleRt>;
  readonly archives: Map<string, ArchiveRt>;
  readonly schedules: Map<string, ScheduleRt>;
  readonly groups: Map<string, Group>;
  readonly events = new Map<string, StoredEvent>();
  readonly deliveries = new Map<string, Delivery>();
  readonly replays = new Map<string, Replay>();
  /**
   * Accepted events whose archive records may not be on disk yet, by event id: a rewrite of the main
   * journal keeps their `A` records until the archive journal's commit has them.
   */
  private readonly archivePending = new Map<string, ArchivingRecord>();

  readonly delivery: Deliverer;
  readonly archiving: Archives;
  readonly runner: ScheduleRunner;
  readonly ruleStore: RuleStore;
  readonly scheduler: SchedulerApi;

  /** commits, schedule firings, replays, compactions */
  private readonly work = new Set<Promise<unknown>>();
  /** deliver / sendToDeadLetter calls */
  private readonly inflight = new Set<Promise<unknown>>();
  private compacting = false;
  closed = false;
  private unsettle: (() => void) | undefined;
  readonly startedAt: number;

  readonly counters: Counters = {
    eventsAccepted: 0,
    entriesFailed: 0,
    delivered: 0,
    retries: 0,
    deadLettered: 0,
    dropped: 0,
    scheduleFirings: 0,
  };

  constructor(readonly opts: EventBridgeOptions) {
    this.clock = opts.clock;
    this.compactEvery = opts.compactEvery ?? 10_000;
    this.startedAt = this.clock.now();
    const config = compileConfig(opts);
    this.busesByName = config.busesByName;
    this.busesByArn = config.busesByArn;
    this.rules = config.rules;
    this.archives = config.archives;
    this.schedules = config.schedules;
    this.groups = config.groups;
    this.delivery = new Deliverer(this);
    this.archiving = new Archives(this);
    this.runner = new ScheduleRunner(this);
    this.ruleStore = new RuleStore(this);
    this.scheduler = createSchedulerApi(this.runner.schedulerStore(), (line) => this.log(line));
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  findBus(nameOrArn: string | undefined): Bus | undefined {
    return findBus(this, nameOrArn);
  }

  // ------------------------------------------------------------------ start-up

  async init(): Promise<void> {
    mkdirSync(this.opts.dir, { recursive: true });
    this.definitions = new DefinitionFile(join(this.opts.dir, 'schedule-definitions.jsonl'));
    this.parked = new ParkedSchedules(this.definitions);
    const journalOptions = this.opts.fsync === undefined ? {} : { fsync: this.opts.fsync };
    const main = await Journal.open<Rec>(join(this.opts.dir, 'events.jsonl'), {
      ...journalOptions,
      serialize: serializeRecord,
    });
    // Archives: counted as the file is read, never held (see ArchiveRt); records of archives that no
    // longer exist and repeated ids (a record can be both in a rewritten file and after it) are dead.
    let dead = 0;
    const seen = new Set<string>();
    const arch = await Journal.open<ArchiveRecord>(join(this.opts.dir, 'archive.jsonl'), {
      ...journalOptions,
      each: (r) => {
        const archive = this.archives.get(r.ar);
        const key = `${r.ar} ${r.i}`;
        if (!archive || seen.has(key)) {
          dead++;
          return;
        }
        seen.add(key);
        archive.count++;
        archive.bytes += utf8(JSON.stringify(r.ev));
        archive.oldest = Math.min(archive.oldest ?? r.ing, r.ing);
      },
    });
    this.journal = main.journal;
    this.archiveJournal = arch.journal;
    const now = this.clock.now();
    const archiving: ArchivingRecord[] = [];

    const saved = new Map<string, ScheduleRecord>();
    const apiBuses = new Map<string, Extract<BusRecord, { t: 'B' }>>();
    const apiRules = new Map<string, RuleSpec>();
    for (const r of main.records) {
      switch (r.t) {
        case 'e':
          this.events.set(r.i, { i: r.i, bus: r.bus, ev: r.ev, ing: r.ing, refs: 0 });
          break;
        case 'A':
          archiving.push(r);
          break;
        case 'd': {
          const { t: _t, ...d } = r;
          this.deliveries.set(r.k, d);
          break;
        }
        case 'x':
          this.deliveries.delete(r.k);
          break;
        case 's': {
          // A record without a definition updates the state of the definition before it.
          const prior = saved.get(r.k);
          saved.set(
            r.k,
            r.def || !prior?.def ? r : { ...r, def: prior.def, ...(prior.tok ? { tok: prior.tok } : {}) },
          );
          break;
        }
        case 'z':
          saved.delete(r.k);
          break;
        case 'g':
          if (!this.groups.has(r.name))
            this.groups.set(r.name, { name: r.name, source: 'api', created: r.at });
          break;
        case 'G':
          if (this.groups.get(r.name)?.source === 'api') this.groups.delete(r.name);
          break;
        case 'r':
          this.replays.set(r.replay.name, r.replay);
          break;
        case 'B':
          apiBuses.set(r.name, r);
          break;
        case 'Bx':
          apiBuses.delete(r.name);
          break;
        case 'R':
          apiRules.set(r.rule.arn, r.rule);
          break;
        case 'Rx':
          apiRules.delete(r.arn);
          break;
      }
    }
    // Buses and rules made through the API, before the deliveries and schedules that refer to them.
    this.ruleStore.restore(apiBuses, apiRules);

    // Accepted events a stop left out of their archives (committed later than the event): archived now.
    let recovered = 0;
    for (const a of archiving) {
      const ev = a.ev ?? this.events.get(a.i)?.ev;
      if (!ev) continue;
      for (const arn of a.ars) {
        const archive = this.archives.get(arn);
        const key = `${arn} ${a.i}`;
        if (!archive || seen.has(key)) continue;
        seen.add(key);
        this.archiving.archive(archive, a.i, ev, a.ing);
        recovered++;
      }
    }
    seen.clear();
    if (recovered > 0) {
      await this.archiveJournal.commit();
      this.log(`archived ${recovered} accepted event(s) the last stop left unarchived`);
    }

    // Schedules made through the Scheduler API, as their last records left them.
    for (const r of saved.values()) {
      if (!r.def) continue;
      const where = `schedule ${r.def.GroupName}/${r.def.Name}`;
      let s: ScheduleRt | undefined;
      if (this.schedules.has(r.k))
        this.log(`${where}: now declared in the cloud assembly, which replaces it`);
      else if (!this.groups.has(r.def.GroupName)) this.log(`${where}: its schedule group no longer exists`);
      else {
        try {
          s = apiSchedule(this.definitions, r.def, r.tok, where);
        } catch (e) {
          this.log(`${where} cannot run: ${message(e)}`);
        }
      }
      if (!s) {
        this.journal.append({ t: 'z', k: r.k });
        continue;
      }
      s.anchor = r.anchor;
      s.next = r.next ?? undefined;
      if (r.last !== undefined) s.last = r.last;
      this.schedules.set(s.key, s);
    }

    // Deliveries whose rule, target or schedule is gone are dropped.
    for (const d of [...this.deliveries.values()]) {
      const stale = d.sch
        ? this.schedules.get(d.sch)?.kind !== 'scheduler'
        : !this.events.has(d.i ?? '') || !this.rules.get(d.rule ?? '')?.targets.has(d.tgt ?? '');
      if (stale) {
        this.log(`pending delivery ${d.k} dropped: its rule, target or schedule no longer exists`);
        this.deliveries.delete(d.k);
        this.journal.append({ t: 'x', k: d.k });
        continue;
      }
      if (d.i) this.events.get(d.i)!.refs++;
      if (d.sch) this.schedules.get(d.sch)!.inflight++;
    }
    for (const [i, e] of this.events) if (e.refs === 0) this.events.delete(i);

    // Dead records and events past retention are dropped by rewriting the file.
    if (dead > 0 || this.archiving.archivesToPurge(now)) await this.archiving.compactArchives(now);

    // Assembly schedules: resume those whose definition is unchanged, start the others afresh.
    for (const s of this.schedules.values()) {
      if (s.source === 'api') continue;
      const prior = saved.get(s.key);
      if (prior && prior.fp === s.fp) {
        s.anchor = prior.anchor;
        s.next = prior.next ?? undefined;
        if (prior.last !== undefined) s.last = prior.last;
        if (prior.gone) s.gone = true;
      } else {
        this.runner.start(s, now);
        this.journal.append(this.scheduleRecord(s));
      }
    }
    // Completed while a deletion after completion was not yet recorded (a crash in between).
    for (const s of [...this.schedules.values()])
      if (this.runner.deletableAfterCompletion(s)) this.runner.removeCompleted(s);
    await this.journal.commit();

    this.unsettle = this.clock.onSettle?.(() => this.idle());
    for (const d of this.deliveries.values()) this.delivery.arm(d);
    for (const s of this.schedules.values()) this.runner.armSchedule(s);
    for (const r of this.replays.values()) {
      if (r.state === 'STARTING' || r.state === 'RUNNING') this.track(this.archiving.runReplay(r));
    }
    this.maybeCompact();
    const pending = this.deliveries.size;
    if (pending > 0) this.log(`resuming ${pending} pending deliver${pending === 1 ? 'y' : 'ies'}`);
  }

  // ------------------------------------------------------------------ bookkeeping

  track(p: Promise<unknown>, kind: 'work' | 'inflight' = 'work'): void {
    const set = kind === 'inflight' ? this.inflight : this.work;
    const q = p.catch((e) => this.log(`internal error: ${message(e)}`));
    set.add(q);
    void q.finally(() => set.delete(q));
  }

  async idle(): Promise<void> {
    while (this.work.size > 0 || this.inflight.size > 0) {
      await Promise.allSettled([...this.work, ...this.inflight]);
    }
    // Settled means durable too: delivered records waiting for a commit (see finish) are written,
    // and so are archived events.
    if (!this.closed) {
      await Promise.all([this.journal.commit(), this.archiveJournal.commit()]).catch(() => {});
    }
  }

  commitSoon(): void {
    if (this.closed) return;
    this.track(this.journal.commit().then(() => this.maybeCompact()));
  }

  maybeCompact(): void {
    this.runner.maybeCompactDefinitions();
    if (this.compacting || this.closed) return;
    const live =
      this.events.size +
      this.deliveries.size +
      this.schedules.size +
      this.parked.size +
      this.replays.size +
      this.groups.size +
      this.rules.size;
    const appended = this.journal.appended;
    if (appended < this.compactEvery || appended < 2 * live) return;
    this.compacting = true;
    this.track(
      this.journal.rewrite(this.liveRecords()).finally(() => {
        this.compacting = false;
      }),
    );
  }

  private *liveRecords(): Generator<Rec> {
    for (const e of this.events.values()) yield { t: 'e', i: e.i, bus: e.bus, ev: e.ev, ing: e.ing };
    for (const a of this.archivePending.values()) yield a;
    for (const d of this.deliveries.values()) yield this.deliveryRecord(d);
    for (const g of this.groups.values()) {
      if (g.source === 'api') yield { t: 'g', name: g.name, at: g.created ?? this.startedAt };
    }
    for (const s of this.schedules.values()) yield this.scheduleRecord(s, true);
    for (const p of this.parked.views())
      yield { t: 's', k: p.key, fp: '', anchor: p.anchor, next: p.next, text: p.text };
    for (const r of this.replays.values()) yield { t: 'r', replay: r };
    yield* this.ruleStore.liveRecords();
  }

  deliveryRecord(d: Delivery): DeliveryRecord {
    const { timer: _timer, running: _running, ...rest } = d;
    return { t: 'd', ...rest };
  }

  /** A schedule's state; `full`: with the definition of an API schedule (else the state alone). */
  scheduleRecord(s: ScheduleRt, full = false): ScheduleRecord {
    return {
      t: 's',
      k: s.key,
      fp: s.fp,
      anchor: s.anchor,
      next: s.next ?? null,
      ...(s.last !== undefined ? { last: s.last } : {}),
      ...(s.gone ? { gone: 1 as const } : {}),
      // the definition's text as the file holds it, written in place (serializeRecord): not parsed to be
      // written again
      ...(full && s instanceof ApiSchedule ? { text: s.storedText() } : {}),
    };
  }

  // ------------------------------------------------------------------ PutEvents

  async putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsResult> {
    if (this.closed) throw new EventBridgeError('InternalException', 'the local EventBridge is closed');
    if (!Array.isArray(entries)) {
      throw new EventBridgeError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound =
        entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new EventBridgeError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    let size = 0;
    for (const e of entries) size += entrySize(e);
    if (size > MAX_REQUEST_BYTES) {
      throw new EventBridgeError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }

    const now = this.clock.now();
    const results: PutEventsResultEntry[] = [];
    const created: Delivery[] = [];
    const archived: { archive: ArchiveRt; size: number }[] = [];
    const archivedIds: string[] = [];
    for (const entry of entries) {
      const accepted = this.acceptEntry(entry, now);
      if ('ErrorCode' in accepted) {
        results.push(accepted);
        continue;
      }
      const { bus, ev } = accepted;
      const ds = this.route(bus, ev, ev.id, now);
      if (ds.length > 0) this.storeEvent(ev.id, bus.name, ev, now, ds);
      created.push(...ds);
      const ars: string[] = [];
      for (const archive of bus.archives) {
        if (archive.pattern && !archive.pattern.matches(ev)) continue;
        archived.push({ archive, size: this.archiving.archive(archive, ev.id, ev, now) });
        ars.push(archive.spec.arn);
      }
      if (ars.length > 0) {
        // The archive journal is committed later: this record, committed with the event, stands
        // for the archive records until then (and after a crash).
        const pending: ArchivingRecord = { t: 'A', i: ev.id, bus: bus.name, ing: now, ars, ev };
        this.journal.append(ds.length > 0 ? { t: 'A', i: ev.id, bus: bus.name, ing: now, ars } : pending);
        this.archivePending.set(ev.id, pending);
        archivedIds.push(ev.id);
      }
      results.push({ EventId: ev.id });
    }

    try {
      await this.journal.commit();
    } catch (e) {
      // Not durable: forget what this call added and report every accepted entry as failed.
      this.log(`PutEvents: journal commit failed: ${message(e)}`);
      for (const id of archivedIds) this.archivePending.delete(id);
      for (const d of created) this.forget(d);
      for (const { archive, size } of archived) {
        archive.count--;
        archive.bytes -= size;
      }
      const failed = results.map((r) =>
        'EventId' in r ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Service Failure' } : r,
      );
      this.counters.entriesFailed += failed.length;
      return { FailedEntryCount: failed.length, Entries: failed };
    }

    for (const d of created) this.delivery.arm(d);
    if (archivedIds.length > 0) {
      // Off the caller's path, and under load shared with the PutEvents calls around it. Not work
      // that idle() waits for: idle() commits the archive itself, which ends the wait.
      this.archiveJournal.commitWithin(ARCHIVE_COMMIT_WINDOW_MS).then(
        () => {
          for (const id of archivedIds) this.archivePending.delete(id);
        },
        (e) => this.log(`archive journal commit failed (archived again at the next start): ${message(e)}`),
      );
    }
    const failedCount = results.filter((r) => 'ErrorCode' in r).length;
    this.counters.eventsAccepted += results.length - failedCount;
    this.counters.entriesFailed += failedCount;
    this.maybeCompact();
    this.archiving.maybeCompactArchive();
    return { FailedEntryCount: failedCount, Entries: results };
  }

  acceptEntry(
    entry: PutEventsRequestEntry,
    now: number,
  ): { bus: Bus; ev: EventBridgeEvent } | { ErrorCode: string; ErrorMessage: string } {
    const invalid = (param: string, reason?: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${param} is not valid.${reason ? ` Reason: ${reason}` : ''}`,
    });
    if (!isObject(entry)) return invalid('Entry', 'an entry must be an object.');
    const { Source, DetailType, Detail, Resources, Time, EventBusName } = entry;
    if (typeof Source !== 'string' || Source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof DetailType !== 'string' || DetailType === '')
      return invalid('DetailType', 'DetailType is a required argument.');
    if (typeof Detail !== 'string' || Detail === '')
      return invalid('Detail', 'Detail is a required argument.');
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    if (
      Resources !== undefined &&
      (!Array.isArray(Resources) || !Resources.every((r) => typeof r === 'string'))
    ) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    let time = now;
    if (Time !== undefined && Time !== null) {
      const t = toMs(Time);
      if (t === undefined) return invalid('Time');
      time = t;
    }
    if (EventBusName !== undefined && typeof EventBusName !== 'string') return invalid('EventBusName');
    const bus = this.findBus(EventBusName || undefined);
    if (!bus) {
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${EventBusName} does not exist.`,
      };
    }
    const ev: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account: this.opts.account,
      time: isoSeconds(time),
      region: this.opts.region,
      resources: [...(Resources ?? [])],
      detail,
    };
    return { bus, ev };
  }

  /** Deliveries for the enabled pattern rules of `bus` that `ev` matches (skipping ones that already exist). */
  route(bus: Bus, ev: EventBridgeEvent, iid: string, now: number, only?: ReadonlySet<string>): Delivery[] {
    const out: Delivery[] = [];
    for (const rule of bus.rules) {
      if (!rule.enabled || !rule.pattern) continue;
      if (only && !only.has(rule.spec.arn)) continue;
      if (!rule.pattern.matches(ev)) continue;
      for (const target of rule.targets.values()) {
        const k = `${iid}|${rule.spec.arn}|${target.spec.id}`;
        if (this.deliveries.has(k)) continue;
        out.push({ k, i: iid, rule: rule.spec.arn, tgt: target.spec.id, n: 0, due: now, first: now });
      }
    }
    return out;
  }

  /** Registers an event and its new deliveries in memory and appends them to the journal (commit is the caller's). */
  storeEvent(iid: string, bus: string, ev: EventBridgeEvent, ing: number, ds: readonly Delivery[]): void {
    let stored = this.events.get(iid);
    if (!stored) {
      stored = { i: iid, bus, ev, ing, refs: 0 };
      this.events.set(iid, stored);
      this.journal.append({ t: 'e', i: iid, bus, ev, ing });
    }
    for (const d of ds) {
      stored.refs++;
      this.deliveries.set(d.k, d);
      this.journal.append(this.deliveryRecord(d));
    }
  }

  /** Removes a delivery that never became durable. */
  forget(d: Delivery): void {
    this.deliveries.delete(d.k);
    if (d.i) {
      const e = this.events.get(d.i);
      if (e && --e.refs <= 0) this.events.delete(d.i);
    }
  }

  // ------------------------------------------------------------------ API

  handle(target: string, body: unknown): Promise<ApiResponse> {
    return handleRequest(this, target, body);
  }

  startReplay(request: StartReplayRequest): Promise<Record<string, unknown>> {
    return this.archiving.startReplay(request);
  }

  describeReplay(name: string): Record<string, unknown> {
    return this.archiving.describeReplay(name);
  }

  // ------------------------------------------------------------------ reporting

  stats(): EventBridgeStats {
    let archivedEvents = 0;
    for (const a of this.archives.values()) archivedEvents += a.count;
    return {
      buses: this.busesByName.size,
      rules: this.rules.size,
      archives: this.archives.size,
      schedules:
        [...this.schedules.values()].filter((s) => s.kind === 'scheduler' && !s.gone).length +
        this.parked.size,
      parkedSchedules: this.parked.size,
      ...this.counters,
      pendingDeliveries: this.deliveries.size,
      archivedEvents,
      replays: this.replays.size,
    };
  }

  describe(): string[] {
    const lines: string[] = [];
    for (const bus of this.busesByName.values()) {
      if (bus.name === 'default' && bus.rules.length === 0 && bus.archives.length === 0) continue;
      lines.push(`bus ${bus.name}: ${bus.rules.length} rule(s), ${bus.archives.length} archive(s)`);
      for (const r of bus.rules) {
        const what = [
          r.spec.eventPattern !== undefined
            ? `pattern ${typeof r.spec.eventPattern === 'string' ? r.spec.eventPattern : JSON.stringify(r.spec.eventPattern)}`
            : undefined,
          r.spec.scheduleExpression !== undefined ? this.scheduleText(`rule:${r.spec.arn}`) : undefined,
        ]
          .filter(Boolean)
          .join(', ');
        const targets = [...r.targets.values()].map((t) => `${t.spec.id} (${t.spec.arn})`).join(', ');
        lines.push(
          `  rule ${r.spec.name}${r.enabled ? '' : ' [DISABLED]'}: ${what} → ${targets || 'no targets'}`,
        );
      }
      for (const a of bus.archives) {
        const keep = a.spec.retentionDays ? `${a.spec.retentionDays} day(s)` : 'indefinitely';
        lines.push(`  archive ${a.spec.name}: ${a.count} event(s), kept ${keep}`);
      }
    }
    let api = this.parked.size;
    for (const s of this.schedules.values()) {
      if (s.kind !== 'scheduler' || s.gone) continue;
      if (s.source === 'api') {
        api++;
        continue;
      }
      const group = s.spec?.groupName ?? 'default';
      lines.push(
        `schedule ${group}/${s.name}${s.enabled ? '' : ' [DISABLED]'}: ${this.scheduleText(s.key)} → ${s.spec!.target.arn}`,
      );
    }
    if (api > 0) lines.push(`${api} schedule(s) made through the Scheduler API`);
    if (this.deliveries.size > 0) lines.push(`${this.deliveries.size} deliveries pending`);
    return lines;
  }

  private scheduleText(key: string): string {
    const s = this.schedules.get(key);
    if (!s) return '';
    const tz = s.kind === 'scheduler' && s.timing.timeZone !== 'UTC' ? ` ${s.timing.timeZone}` : '';
    const next = s.enabled ? (s.next === undefined ? ', no next run' : `, next ${isoSeconds(s.next)}`) : '';
    return `${s.timing.expression.text}${tz}${next}`;
  }

  // ------------------------------------------------------------------ shutdown

  async close(): Promise<void> {
    if (this.closed) return;
    // Let commits, firings and replays already under way finish (not deliveries: they may never end).
    await Promise.allSettled([...this.work]);
    this.closed = true;
    this.unsettle?.();
    for (const d of this.deliveries.values()) d.timer?.cancel();
    this.runner.stop();
    await Promise.allSettled([...this.work]);
    await this.journal.close();
    await this.archiveJournal.close();
    this.definitions.close();
  }
}

/** PutEventsRequestEntry size as the EventBridge User Guide computes it. */
function entrySize(e: PutEventsRequestEntry): number {
  if (!isObject(e)) return 0;
  let size = e.Time !== undefined && e.Time !== null ? 14 : 0;
  if (typeof e.Source === 'string') size += utf8(e.Source);
  if (typeof e.DetailType === 'string') size += utf8(e.DetailType);
  if (typeof e.Detail === 'string') size += utf8(e.Detail);
  if (Array.isArray(e.Resources)) for (const r of e.Resources) if (typeof r === 'string') size += utf8(r);
  return size;
}

export { ScheduleExpressionError, TransformError };
