/** A binary min-heap ordered by `key` (ties by insertion order). */
export class MinHeap<T> {
  #items: { key: number; seq: number; value: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  push(key: number, value: T): void {
    const items = this.#items;
    items.push({ key, seq: this.#seq++, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peekKey(): number | undefined {
    return this.#items[0]?.key;
  }

  peek(): { key: number; value: T } | undefined {
    const top = this.#items[0];
    return top ? { key: top.key, value: top.value } : undefined;
  }

  pop(): { key: number; value: T } | undefined {
    const items = this.#items;
    const top = items[0];
    if (!top) return undefined;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.#less(l, m)) m = l;
        if (r < items.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return { key: top.key, value: top.value };
  }

  /** Rebuilds the heap keeping only entries for which `keep` holds. */
  filter(keep: (key: number, value: T) => boolean): void {
    const kept = this.#items.filter((e) => keep(e.key, e.value));
    this.#items = [];
    for (const e of kept) this.push(e.key, e.value);
  }

  #less(a: number, b: number): boolean {
    const x = this.#items[a]!;
    const y = this.#items[b]!;
    return x.key < y.key || (x.key === y.key && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const t = items[a]!;
    items[a] = items[b]!;
    items[b] = t;
  }
}
