/**
 * Scheduler API at() schedules parked while they wait. The SLA's promise deadlines are tens of thousands of
 * one-time schedules hours or days away that nothing looks at until they fire or are deleted; as objects (key
 * string, state, heap entry, map entry) each cost ~0.45 KiB of heap. Parked, a schedule is a slot of numbers:
 * its due time, creation anchor, retry limits, completion action and where its definition is in the
 * {@link DefinitionFile} (48 B of typed arrays, and its hash-index entry: ~150 B in all, measured). Its key is not
 * in memory: it is found by a 32-bit hash of the key, and a match is confirmed by reading the definition (whose
 * ARN is the key), so two keys with one hash are told apart.
 *
 * What is parked (see ScheduleRunner.armSchedule): an enabled at() schedule with no delivery in flight, not yet
 * fired, due more than {@link PARK_AFTER_MS} from now. It comes back as an {@link ApiSchedule} when it falls due,
 * or when the API deletes or replaces it; GetSchedule, ListSchedules and the journal's compaction read it in place.
 */
import { ApiSchedule, type DefinitionFile, keyOfText, type StoredDefinition } from './definitions.ts';

/** A schedule due sooner than this stays an object (the heap of live schedules); later ones are parked. */
export const PARK_AFTER_MS = 60_000;

const DELETE_AFTER = 1 << 16;
const RETRIES = 0xffff;

/** FNV-1a over the key's UTF-16 code units, as a 32-bit signed integer (a small integer key in a Map). */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** One parked schedule's numbers, as the journal's compaction and the API read them. */
export interface ParkedView {
  readonly slot: number;
  readonly key: string;
  readonly anchor: number;
  readonly next: number;
  /** `{"def":…,"tok":…}` as the file holds it */
  readonly text: string;
}

export class ParkedSchedules {
  #capacity = 0;
  /** slots ever used; freed ones are reused first */
  #used = 0;
  #free: number[] = [];
  #count = 0;
  #due = new Float64Array(0);
  #anchor = new Float64Array(0);
  #at = new Float64Array(0);
  #len = new Uint32Array(0);
  /** MaximumEventAgeInSeconds in ms (at most a day) */
  #maxAge = new Uint32Array(0);
  /** the order schedules were parked in (modulo 2^32): ties of due time fire in it */
  #seq = new Uint32Array(0);
  #parkedSoFar = 0;
  /** maximum retries (low 16 bits), DELETE_AFTER */
  #meta = new Uint32Array(0);
  /** the due-time heap: slots, and each slot's place in it (-1: free) */
  #heap = new Int32Array(0);
  #place = new Int32Array(0);
  /** hash of the key → its slot, or the slots sharing that hash */
  #byHash = new Map<number, number | number[]>();

  constructor(private readonly file: DefinitionFile) {}

  /** Schedules parked. */
  get size(): number {
    return this.#count;
  }

  /** The earliest due time of a parked schedule. */
  nextDue(): number | undefined {
    return this.#count > 0 ? this.#due[this.#heap[0]!] : undefined;
  }

  /** Parks `s` (an enabled at() schedule, not fired, nothing in flight; the caller has let go of the object). */
  park(s: ApiSchedule): void {
    if (s.next === undefined || s.len === 0) throw new Error(`schedule ${s.key}: nothing to park`);
    const slot = this.#free.pop() ?? this.#grow();
    this.#due[slot] = s.next;
    this.#anchor[slot] = s.anchor;
    this.#at[slot] = s.at;
    this.#len[slot] = s.len;
    this.#maxAge[slot] = s.maxAgeMs;
    this.#seq[slot] = this.#parkedSoFar;
    this.#parkedSoFar = (this.#parkedSoFar + 1) >>> 0;
    this.#meta[slot] = (s.maxRetries & RETRIES) | (s.actionAfterCompletion === 'DELETE' ? DELETE_AFTER : 0);
    this.#index(keyHash(s.key), slot);
    this.#count++;
    const i = this.#count - 1;
    this.#heap[i] = slot;
    this.#place[slot] = i;
    this.#up(i);
  }

  /** The parked schedule `key`: its slot, definition and ClientToken (one read of the file), or undefined. */
  read(key: string): { readonly slot: number; readonly stored: StoredDefinition } | undefined {
    const match = this.#match(key);
    return match && { slot: match.slot, stored: JSON.parse(match.text) as StoredDefinition };
  }

  /** The slot whose definition's key is `key`, with that definition's text (no read on a hash miss). */
  #match(key: string): { readonly slot: number; readonly text: string } | undefined {
    const hit = this.#byHash.get(keyHash(key));
    if (hit === undefined) return undefined;
    for (const slot of typeof hit === 'number' ? [hit] : hit) {
      const text = this.file.readText(this.#at[slot]!, this.#len[slot]!);
      if (keyOfText(text) === key) return { slot, text };
    }
    return undefined;
  }

  /**
   * Takes the parked schedule `key` back as an object, or undefined when none is parked (a hash match is confirmed
   * by reading its definition, read once).
   */
  takeKey(key: string): ApiSchedule | undefined {
    const match = this.#match(key);
    return match && this.#take(match.slot, key);
  }

  /** Takes a parked schedule back as an object (its definition stays where it is in the file). */
  take(slot: number): ApiSchedule {
    return this.#take(slot, keyOfText(this.file.readText(this.#at[slot]!, this.#len[slot]!)));
  }

  #take(slot: number, key: string): ApiSchedule {
    const meta = this.#meta[slot]!;
    const s = new ApiSchedule(this.file, {
      key,
      enabled: true,
      maxRetries: meta & RETRIES,
      maxAgeMs: this.#maxAge[slot]!,
      oneTime: true,
      deleteAfter: (meta & DELETE_AFTER) !== 0,
      at: this.#at[slot]!,
      len: this.#len[slot]!,
    });
    s.anchor = this.#anchor[slot]!;
    s.next = this.#due[slot]!;
    this.#remove(slot, keyHash(key));
    return s;
  }

  /** Takes back every parked schedule due by `now`, earliest first. */
  takeDue(now: number): ApiSchedule[] {
    const due: ApiSchedule[] = [];
    while (this.#count > 0 && this.#due[this.#heap[0]!]! <= now) due.push(this.take(this.#heap[0]!));
    return due;
  }

  /** Every parked schedule with its key and stored text (read from the file: compaction, listing, a group's deletion). */
  *views(): Generator<ParkedView> {
    for (let i = 0; i < this.#count; i++) {
      const slot = this.#heap[i]!;
      const text = this.file.readText(this.#at[slot]!, this.#len[slot]!);
      yield { slot, key: keyOfText(text), anchor: this.#anchor[slot]!, next: this.#due[slot]!, text };
    }
  }

  /** Where each parked schedule's definition is, for the file's rewrite; `moved` takes the new places back. */
  places(): Array<{ readonly slot: number; at: number; readonly len: number }> {
    const out: Array<{ slot: number; at: number; len: number }> = [];
    for (let i = 0; i < this.#count; i++) {
      const slot = this.#heap[i]!;
      out.push({ slot, at: this.#at[slot]!, len: this.#len[slot]! });
    }
    return out;
  }

  moved(places: ReadonlyArray<{ readonly slot: number; readonly at: number }>): void {
    for (const p of places) this.#at[p.slot] = p.at;
  }

  #index(hash: number, slot: number): void {
    const hit = this.#byHash.get(hash);
    if (hit === undefined) this.#byHash.set(hash, slot);
    else if (typeof hit === 'number') this.#byHash.set(hash, [hit, slot]);
    else hit.push(slot);
  }

  #remove(slot: number, hash: number): void {
    const hit = this.#byHash.get(hash);
    if (hit === slot) this.#byHash.delete(hash);
    else if (Array.isArray(hit)) {
      const rest = hit.filter((x) => x !== slot);
      this.#byHash.set(hash, rest.length === 1 ? rest[0]! : rest);
    }
    const i = this.#place[slot]!;
    const last = this.#count - 1;
    this.#count--;
    this.#place[slot] = -1;
    this.#free.push(slot);
    if (i !== last) {
      const moved = this.#heap[last]!;
      this.#heap[i] = moved;
      this.#place[moved] = i;
      this.#down(this.#up(i));
    }
  }

  #grow(): number {
    if (this.#used === this.#capacity) {
      const capacity = Math.max(64, Math.ceil(this.#capacity * 1.5));
      const grow = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(capacity);
        b.set(a);
        return b;
      };
      this.#due = grow(this.#due, (n) => new Float64Array(n));
      this.#anchor = grow(this.#anchor, (n) => new Float64Array(n));
      this.#at = grow(this.#at, (n) => new Float64Array(n));
      this.#len = grow(this.#len, (n) => new Uint32Array(n));
      this.#maxAge = grow(this.#maxAge, (n) => new Uint32Array(n));
      this.#seq = grow(this.#seq, (n) => new Uint32Array(n));
      this.#meta = grow(this.#meta, (n) => new Uint32Array(n));
      this.#heap = grow(this.#heap, (n) => new Int32Array(n));
      this.#place = grow(this.#place, (n) => new Int32Array(n));
      this.#capacity = capacity;
    }
    return this.#used++;
  }

  /** Whether slot `a` comes before slot `b`: due earlier, or at the same time and parked first. */
  #before(a: number, b: number): boolean {
    const da = this.#due[a]!;
    const db = this.#due[b]!;
    return da < db || (da === db && this.#seq[a]! < this.#seq[b]!);
  }

  /** Moves the heap entry at `i` up while it comes before its parent; returns where it ends. */
  #up(i: number): number {
    const heap = this.#heap;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.#before(slot, p)) break;
      heap[i] = p;
      this.#place[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.#place[slot] = i;
    return i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const slot = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.#count) break;
      const r = l + 1;
      const c = r < this.#count && this.#before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.#before(child, slot)) break;
      heap[i] = child;
      this.#place[child] = i;
      i = c;
    }
    heap[i] = slot;
    this.#place[slot] = i;
  }
}
