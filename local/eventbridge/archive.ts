/**
 * Archives and replays. An event put on a bus is archived by every archive of that bus whose pattern it matches
 * (events being replayed are not archived again: AWS's archive rule has `"replay-name": [{"exists": false}]`).
 * StartReplay re-sends the archived events whose `time` is in [EventStartTime, EventEndTime) to the enabled
 * pattern rules of the destination bus (only those in FilterArns when given), each with a top-level `replay-name`
 * field, matched by the rules' patterns as usual. Events past an archive's retention are purged.
 *
 * Archived events live in `<dir>/archive.jsonl` and only there: memory holds each archive's count, size and
 * oldest ingestion time, so it stays flat however much is archived; replays and compaction read the file. The
 * archive journal is compacted when retention has expired some of its events.
 */
import { scanRecords } from '../runtime/journal.ts';
import type { EventBridgeEvent } from './pattern.ts';
import {
  type ArchiveRecord,
  type ArchiveRt,
  type BridgeCore,
  DAY_MS,
  type Delivery,
  isObject,
  type Replay,
  seconds,
  stripUndefined,
  toMs,
  utf8,
} from './state.ts';
import { EventBridgeError, type StartReplayRequest } from './types.ts';

export class Archives {
  private archiveCompaction: Promise<void> | undefined;

  constructor(private readonly core: BridgeCore) {}

  /** Appends an event to an archive (on disk once committed); returns its size. */
  archive(archive: ArchiveRt, i: string, ev: EventBridgeEvent, ing: number): number {
    const tm = Date.parse(ev.time);
    const size = utf8(JSON.stringify(ev));
    archive.count++;
    archive.bytes += size;
    archive.oldest = Math.min(archive.oldest ?? ing, ing);
    this.core.archiveJournal.append({ t: 'a', ar: archive.spec.arn, i, tm, ing, ev });
    return size;
  }

  /** Every `compactEvery` archived events, purges what retention expired (a rewrite, from disk). */
  maybeCompactArchive(): void {
    if (
      this.archiveCompaction ||
      this.core.closed ||
      this.core.archiveJournal.appended < this.core.compactEvery
    )
      return;
    const now = this.core.clock.now();
    if (this.archivesToPurge(now)) this.core.track(this.compactArchives(now));
  }

  /** Whether some archive holds events past its retention. */
  archivesToPurge(now: number): boolean {
    for (const a of this.core.archives.values()) {
      const days = a.spec.retentionDays ?? 0;
      if (days > 0 && a.oldest !== undefined && a.oldest < now - days * DAY_MS) return true;
    }
    return false;
  }

  /** Rewrites the archive journal with its live records, streamed from the file itself. */
  compactArchives(now: number): Promise<void> {
    this.archiveCompaction ??= this.core.archiveJournal.rewrite(this.liveArchiveRecords(now)).finally(() => {
      this.archiveCompaction = undefined;
    });
    return this.archiveCompaction;
  }

  /** Events past their archive's retention are purged before the archive is read or described. */
  async purgeArchives(now: number): Promise<void> {
    if (this.archiveCompaction) await this.archiveCompaction;
    if (this.archivesToPurge(now)) await this.compactArchives(now);
  }

  /**
   * The archive file's live records, read from disk as the rewrite consumes them: not those of
   * removed archives, not repeats, not those past retention (uncounted as they are dropped). Records
   * appended meanwhile are still in the journal's buffer and follow the rewritten file.
   */
  private *liveArchiveRecords(now: number): Generator<ArchiveRecord> {
    const seen = new Set<string>();
    const oldest = new Map<ArchiveRt, number>();
    for (const r of scanRecords<ArchiveRecord>(this.core.archiveJournal.file)) {
      const a = this.core.archives.get(r.ar);
      const key = `${r.ar} ${r.i}`;
      if (!a || seen.has(key)) continue;
      seen.add(key);
      const days = a.spec.retentionDays ?? 0;
      if (days > 0 && r.ing < now - days * DAY_MS) {
        a.count--;
        a.bytes -= utf8(JSON.stringify(r.ev));
        continue;
      }
      oldest.set(a, Math.min(oldest.get(a) ?? r.ing, r.ing));
      yield r;
    }
    // Events not on disk yet (buffered) are newer than `now` at worst.
    for (const a of this.core.archives.values())
      a.oldest = a.count > 0 ? Math.min(oldest.get(a) ?? now, now) : undefined;
  }

  async startReplay(request: StartReplayRequest): Promise<Record<string, unknown>> {
    if (this.core.closed) throw new EventBridgeError('InternalException', 'the local EventBridge is closed');
    const req = (isObject(request) ? request : {}) as StartReplayRequest;
    const invalid = (param: string, reason: string) =>
      new EventBridgeError('ValidationException', `Parameter ${param} is not valid. Reason: ${reason}`);
    const name = req.ReplayName;
    if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
      throw invalid('ReplayName', 'ReplayName must be 1-64 characters of letters, digits, ".", "-" and "_".');
    }
    if (typeof req.EventSourceArn !== 'string')
      throw invalid('EventSourceArn', 'EventSourceArn is required.');
    const archive = this.core.archives.get(req.EventSourceArn);
    if (!archive)
      throw new EventBridgeError(
        'ResourceNotFoundException',
        `Archive ${req.EventSourceArn} does not exist.`,
      );
    const start = toMs(req.EventStartTime);
    const end = toMs(req.EventEndTime);
    if (start === undefined) throw invalid('EventStartTime', 'EventStartTime is required.');
    if (end === undefined) throw invalid('EventEndTime', 'EventEndTime is required.');
    if (start >= end) throw invalid('EventStartTime', 'EventStartTime must be before EventEndTime.');
    const destination = req.Destination;
    if (!isObject(destination) || typeof destination.Arn !== 'string') {
      throw invalid('Destination', 'Destination.Arn is required.');
    }
    if (destination.Arn !== archive.bus.arn) {
      throw invalid(
        'Destination.Arn',
        'Events can only be replayed to the event bus the archive was created on.',
      );
    }
    const filterArns = destination.FilterArns;
    if (filterArns !== undefined) {
      if (!Array.isArray(filterArns))
        throw invalid('Destination.FilterArns', 'FilterArns must be a list of rule ARNs.');
      for (const arn of filterArns) {
        if (this.core.rules.get(arn)?.bus !== archive.bus) {
          throw invalid(
            'Destination.FilterArns',
            `Rule ${arn} does not exist on event bus ${archive.bus.name}.`,
          );
        }
      }
    }
    if (this.core.replays.has(name))
      throw new EventBridgeError('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
    const replay: Replay = {
      name,
      arn: `arn:aws:events:${this.core.opts.region}:${this.core.opts.account}:replay/${name}`,
      ...(typeof req.Description === 'string' ? { description: req.Description } : {}),
      archiveArn: archive.spec.arn,
      busArn: archive.bus.arn,
      ...(filterArns && filterArns.length > 0 ? { filterArns: [...filterArns] } : {}),
      start,
      end,
      state: 'STARTING',
      replayStart: this.core.clock.now(),
    };
    this.core.replays.set(name, replay);
    this.core.journal.append({ t: 'r', replay });
    await this.core.journal.commit();
    this.core.track(this.runReplay(replay));
    return { ReplayArn: replay.arn, State: 'STARTING', ReplayStartTime: seconds(replay.replayStart) };
  }

  async runReplay(r: Replay): Promise<void> {
    if (this.core.closed) return;
    const now = this.core.clock.now();
    const archive = this.core.archives.get(r.archiveArn);
    const bus = this.core.busesByArn.get(r.busArn);
    if (!archive || !bus) {
      r.state = 'FAILED';
      r.reason = `archive ${r.archiveArn} or event bus ${r.busArn} no longer exists`;
      r.replayEnd = now;
      this.core.journal.append({ t: 'r', replay: r });
      await this.core.journal.commit();
      return;
    }
    r.state = 'RUNNING';
    // The archive is read from disk: everything archived so far first goes there.
    await this.core.archiveJournal.commit();
    await this.purgeArchives(now);
    const selected = this.archivedBetween(archive, r.start, r.end, now);
    const only = r.filterArns ? new Set(r.filterArns) : undefined;
    const created: Delivery[] = [];
    for (const a of selected) {
      const ev: EventBridgeEvent = { ...a.ev, 'replay-name': r.name };
      const iid = `${a.i}#replay:${r.name}`;
      const ds = this.core.route(bus, ev, iid, now, only);
      if (ds.length > 0) this.core.storeEvent(iid, bus.name, ev, now, ds);
      created.push(...ds);
    }
    r.state = 'COMPLETED';
    r.replayEnd = now;
    r.events = selected.length;
    const last = selected.at(-1);
    if (last) r.lastReplayed = last.tm;
    this.core.journal.append({ t: 'r', replay: r });
    await this.core.journal.commit();
    if (this.core.closed) return;
    for (const d of created) this.core.delivery.arm(d);
    this.core.log(
      `replay ${r.name}: ${selected.length} archived event(s) from ${archive.spec.name} → ${created.length} deliver${created.length === 1 ? 'y' : 'ies'}`,
    );
    this.core.maybeCompact();
  }

  /** An archive's events with `time` in [start, end) and within retention, from disk, in time order. */
  private archivedBetween(archive: ArchiveRt, start: number, end: number, now: number): ArchiveRecord[] {
    const days = archive.spec.retentionDays ?? 0;
    const cutoff = days > 0 ? now - days * DAY_MS : Number.NEGATIVE_INFINITY;
    const seen = new Set<string>();
    const selected: ArchiveRecord[] = [];
    for (const r of scanRecords<ArchiveRecord>(this.core.archiveJournal.file)) {
      if (r.ar !== archive.spec.arn || r.tm < start || r.tm >= end || r.ing < cutoff || seen.has(r.i))
        continue;
      seen.add(r.i);
      selected.push(r);
    }
    return selected.sort((a, b) => a.tm - b.tm || a.ing - b.ing);
  }

  describeReplay(name: string): Record<string, unknown> {
    const r = this.core.replays.get(name);
    if (!r) throw new EventBridgeError('ResourceNotFoundException', `Replay ${name} does not exist.`);
    return this.replayOut(r, true);
  }

  replayOut(r: Replay, full: boolean): Record<string, unknown> {
    return stripUndefined({
      ReplayName: r.name,
      ...(full ? { ReplayArn: r.arn, Description: r.description } : {}),
      State: r.state,
      StateReason: r.reason,
      EventSourceArn: r.archiveArn,
      ...(full ? { Destination: stripUndefined({ Arn: r.busArn, FilterArns: r.filterArns }) } : {}),
      EventStartTime: seconds(r.start),
      EventEndTime: seconds(r.end),
      EventLastReplayedTime: seconds(r.lastReplayed),
      ReplayStartTime: seconds(r.replayStart),
      ReplayEndTime: seconds(r.replayEnd),
    });
  }

  archiveOut(a: ArchiveRt, full: boolean): Record<string, unknown> {
    const p = a.spec.eventPattern;
    return stripUndefined({
      ArchiveName: a.spec.name,
      ...(full
        ? {
            ArchiveArn: a.spec.arn,
            EventPattern: p === undefined ? undefined : typeof p === 'string' ? p : JSON.stringify(p),
          }
        : {}),
      EventSourceArn: a.bus.arn,
      State: 'ENABLED',
      RetentionDays: a.spec.retentionDays ?? 0,
      SizeBytes: a.bytes,
      EventCount: a.count,
      CreationTime: seconds(this.core.startedAt),
    });
  }
}
