/** One page of a listing and the opaque cursor of the next (null: the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly cursor: string | null;
}
