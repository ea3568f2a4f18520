import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from './batch.ts';
import type { DocumentClient } from './client.ts';

type Item = Record<string, unknown>;

/** A projection the coalescer can merge and apply: plain top-level attribute names only. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The top-level attributes a read's projection asks for: `undefined` for whole items, `null` when
 * the coalescer cannot merge it (a nested path, an alias not given, names given that the
 * projection does not use — DynamoDB refuses those, and so should the read). Aliases (`#n`) stand
 * for any top-level name, reserved words included; `aliased` collects the names that came only so.
 */
function plainProjection(
  expression: string | undefined,
  names: Record<string, string> | undefined,
): Array<{ name: string; aliased: boolean }> | null | undefined {
  if (expression === undefined) return names === undefined ? undefined : null;
  const tokens = expression.split(',').map((n) => n.trim());
  if (names && Object.keys(names).some((alias) => !tokens.includes(alias))) return null;
  const out: Array<{ name: string; aliased: boolean }> = [];
  for (const token of tokens) {
    if (token.startsWith('#')) {
      const name = names?.[token];
      if (!name) return null;
      out.push({ name, aliased: true });
    } else if (PLAIN_NAME.test(token)) out.push({ name: token, aliased: false });
    else return null;
  }
  return out;
}

const keyString = (key: Item) =>
  JSON.stringify(
    Object.keys(key)
      .sort()
      .map((k) => [k, key[k]]),
  );

interface Waiting {
  readonly table: string;
  readonly keys: readonly Item[];
  readonly consistent: boolean;
  /** the attributes asked for, or undefined for whole items */
  readonly projection: ReadonlyArray<{ readonly name: string; readonly aliased: boolean }> | undefined;
  /** the command as it was sent: sent as is when nothing else was waiting */
  readonly command: GetCommand | BatchGetCommand;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A document client whose key reads issued together become one BatchGetItem (the "DataLoader"
 * pattern, decision 38). Every `GetCommand`, and every single-table `BatchGetCommand`, sent while
 * the current job and the promise jobs it queued run is held; then the ones on the same table go
 * out as one BatchGetItem (100 keys a call, a few calls in flight, unprocessed keys retried:
 * batch.ts), each caller answered with its own items as GetItem or BatchGetItem would answer them
 * (a BatchGetItem with nothing left unprocessed). A read alone goes out as it was sent, its answer
 * untouched. Everything else (writes, queries, nested projections or capacity reporting) passes
 * straight through.
 *
 * - Consistency: a batch is strongly consistent if any read in it asked to be (stronger than what
 *   the others asked for, never weaker; on AWS a strongly consistent read costs twice the units).
 * - Projection: the union of what the reads asked for when each named top-level attributes (plainly
 *   or through `#aliases`), else whole items; each caller gets back only the attributes it asked for.
 * - The same key asked twice is read once. A failed batch fails every read in it.
 * - Ordering: only reads in flight together are merged; a read sent after a write has completed
 *   still sees it, as GetItem would.
 */
export function coalescingReads<C extends DocumentClient>(db: C): C {
  let waiting: Waiting[] = [];

  const flush = () => {
    const all = waiting;
    waiting = [];
    const tables = new Map<string, Waiting[]>();
    for (const w of all) tables.set(w.table, [...(tables.get(w.table) ?? []), w]);
    for (const [table, reads] of tables) void flushTable(table, reads);
  };

  const flushTable = async (table: string, reads: Waiting[]) => {
    if (reads.length === 1) {
      const [w] = reads as [Waiting];
      await db.send(w.command as BatchGetCommand).then(w.resolve, w.reject);
      return;
    }
    const keys = new Map<string, Item>();
    for (const w of reads) for (const k of w.keys) keys.set(keyString(k), k);
    const whole = reads.some((w) => w.projection === undefined);
    // Each name asked for, plain if any read named it plainly (so it is no reserved word), else
    // through an alias of the merged read.
    const names = new Map<string, boolean>();
    if (!whole) {
      for (const w of reads)
        for (const { name, aliased } of w.projection!) names.set(name, (names.get(name) ?? true) && aliased);
      // The key attributes, so that each item can be matched to the read that asked for it.
      for (const k of keys.values()) for (const n of Object.keys(k)) names.set(n, false);
    }
    const aliases: Record<string, string> = {};
    const projection = [...names].map(([name, aliased]) => {
      if (!aliased) return name;
      const alias = `#c${Object.keys(aliases).length}`;
      aliases[alias] = name;
      return alias;
    });
    let items: Item[];
    try {
      items = await batchGet(db, table, [...keys.values()], {
        consistent: reads.some((w) => w.consistent),
        ...(whole ? {} : { projection: projection.join(', ') }),
        ...(Object.keys(aliases).length ? { names: aliases } : {}),
      });
    } catch (error) {
      for (const w of reads) w.reject(error);
      return;
    }
    // Items by key: the key attribute names are those of the keys asked for.
    const keyNames = [...new Set([...keys.values()].map((k) => Object.keys(k).sort().join(',')))];
    const byKey = new Map<string, Item>();
    for (const item of items) {
      for (const ns of keyNames) {
        const key: Item = {};
        for (const n of ns.split(',')) key[n] = item[n];
        byKey.set(keyString(key), item);
      }
    }
    const metadata = { coalesced: reads.length };
    for (const w of reads) {
      const found = w.keys.flatMap((k) => {
        const item = byKey.get(keyString(k));
        if (!item) return [];
        if (!w.projection) return [item];
        const out: Item = {};
        for (const { name } of w.projection) if (name in item) out[name] = item[name];
        return [out];
      });
      w.resolve(
        w.command instanceof GetCommand
          ? { $metadata: metadata, ...(found[0] ? { Item: found[0] } : {}) }
          : { $metadata: metadata, Responses: { [table]: found }, UnprocessedKeys: {} },
      );
    }
  };

  const hold = (
    table: string,
    keys: readonly Item[],
    consistent: boolean,
    projection: Waiting['projection'],
    command: GetCommand | BatchGetCommand,
  ) =>
    new Promise<unknown>((resolve, reject) => {
      // The first read held schedules the flush after the promise jobs queued so far (and those
      // they queue in turn before the next tick), as DataLoader does.
      if (waiting.length === 0) void Promise.resolve().then(() => process.nextTick(flush));
      waiting.push({ table, keys, consistent, projection, command, resolve, reject });
    });

  const send = (command: unknown, ...rest: unknown[]): Promise<unknown> => {
    if (rest.length === 0 && command instanceof GetCommand) {
      const input = command.input;
      const projection = plainProjection(input.ProjectionExpression, input.ExpressionAttributeNames);
      if (
        input.TableName &&
        projection !== null &&
        input.AttributesToGet === undefined &&
        input.ReturnConsumedCapacity === undefined
      ) {
        return hold(input.TableName, [input.Key as Item], input.ConsistentRead === true, projection, command);
      }
    }
    if (rest.length === 0 && command instanceof BatchGetCommand) {
      const input = command.input;
      const tables = Object.keys(input.RequestItems ?? {});
      const only = tables.length === 1 ? input.RequestItems![tables[0]!]! : undefined;
      const projection = plainProjection(only?.ProjectionExpression, only?.ExpressionAttributeNames);
      if (
        only?.Keys &&
        projection !== null &&
        only.AttributesToGet === undefined &&
        input.ReturnConsumedCapacity === undefined
      ) {
        return hold(tables[0]!, only.Keys as Item[], only.ConsistentRead === true, projection, command);
      }
    }
    return (db.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
  };

  return new Proxy(db, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property, target)),
  });
}
