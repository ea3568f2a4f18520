import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type marshallOptions as MarshallOptions,
  marshall,
  type unmarshallOptions as UnmarshallOptions,
  unmarshall,
} from '@aws-sdk/util-dynamodb';
import { reuseSigners } from '#adapters/aws/signer';

/** What the stores use of a DynamoDB document client: `send` with lib-dynamodb's commands. */
export type DocumentClient = Pick<DynamoDBDocumentClient, 'send'>;

/**
 * Which parts of a command's input or output hold item values, as lib-dynamodb's commands declare
 * them (`inputKeyNodes`, `outputKeyNodes`): `null` the value itself, `{}` every value of a map,
 * `[]` every member of a list, `{ '*': n }` every entry with `n`, else the named keys with theirs.
 */
type KeyNodes = null | readonly KeyNodes[] | { readonly [key: string]: KeyNodes };

/** The parts of a lib-dynamodb command this client reads (protected in its types, public in JS). */
interface DocumentCommand {
  readonly input: object;
  readonly inputKeyNodes: KeyNodes;
  readonly outputKeyNodes: KeyNodes;
  readonly clientCommand: { readonly constructor: new (input: object) => object };
}

type Send = (command: object, options?: object) => Promise<Record<string, unknown>>;

/**
 * lib-dynamodb's document client, with the SDK's `cacheMiddleware`: the commands are lib-dynamodb's
 * own (`PutCommand`, `UpdateCommand`, ...), and their input and output are translated with their
 * own key nodes by `@aws-sdk/util-dynamodb`, as lib-dynamodb's middleware does; but each call is
 * sent as the plain DynamoDB command on a `DynamoDBClient` whose middleware stack is resolved once
 * per command class (decision 60). lib-dynamodb itself refuses that option, because its commands
 * resolve a handler bound to their own instance; resolving the stack on every call was ~6% of an
 * ingestion sandbox's CPU (two stacks, cloned, concatenated and sorted per call).
 *
 * Errors are the DynamoDB client's, untranslated, as lib-dynamodb leaves them.
 */
export class CachedDocumentClient {
  readonly client: DynamoDBClient;
  readonly #marshall: MarshallOptions;
  readonly #unmarshall: UnmarshallOptions;

  constructor(
    config: DynamoDBClientConfig,
    translate: { marshallOptions?: MarshallOptions; unmarshallOptions?: UnmarshallOptions } = {},
  ) {
    this.client = reuseSigners(new DynamoDBClient({ ...config, cacheMiddleware: true }));
    // lib-dynamodb's defaults for these two (DynamoDBDocumentClientCommand).
    this.#marshall = { convertTopLevelContainer: true, ...translate.marshallOptions };
    this.#unmarshall = { convertWithoutMapWrapper: true, ...translate.unmarshallOptions };
  }

  readonly send = ((command: DocumentCommand, optionsOrCb?: unknown, cb?: unknown) => {
    const callback = typeof optionsOrCb === 'function' ? optionsOrCb : cb;
    const options = typeof optionsOrCb === 'function' ? undefined : optionsOrCb;
    const result = this.#send(command, options as object | undefined);
    if (typeof callback !== 'function') return result;
    result.then(
      (output) => callback(null, output),
      (error: unknown) => callback(error),
    );
    return undefined;
  }) as unknown as DynamoDBDocumentClient['send'];

  async #send(command: DocumentCommand, options: object | undefined): Promise<unknown> {
    if (!command.clientCommand || command.inputKeyNodes === undefined) {
      throw new TypeError('CachedDocumentClient sends only @aws-sdk/lib-dynamodb commands');
    }
    const ClientCommand = command.clientCommand.constructor;
    const input = translate(command.input, (value) => marshall(value, this.#marshall), command.inputKeyNodes);
    // Per-call options bypass the SDK's handler cache, as they do on any client.
    const output = await (this.client.send as unknown as Send)(new ClientCommand(input), options);
    return translate(output, (value) => unmarshall(value, this.#unmarshall), command.outputKeyNodes);
  }

  destroy(): void {
    this.client.destroy();
  }
}

/**
 * lib-dynamodb's `marshallInput` / `unmarshallOutput` walk (its `commands/utils`), which the
 * package does not export: the same keys kept, the same parts converted, functions dropped.
 * Adapted from @aws-sdk/lib-dynamodb (Apache-2.0).
 */
function translate(obj: object, convert: (value: never) => unknown, keyNodes: KeyNodes): object {
  return keysInObj(obj as Record<string, unknown>, convert, keyNodes as { [key: string]: KeyNodes });
}

function processObj(
  obj: unknown,
  convert: (value: never) => unknown,
  keyNodes: KeyNodes | undefined,
): unknown {
  if (obj === undefined) return undefined;
  if (keyNodes == null) return convert(obj as never);
  const keys = Object.keys(keyNodes);
  const nextLevel = keys.length === 1 && keys[0] === '*';
  if (keys.length === 0) return allKeysInObj(obj, convert);
  if (!nextLevel)
    return keysInObj(obj as Record<string, unknown>, convert, keyNodes as { [key: string]: KeyNodes });
  const child = (keyNodes as { [key: string]: KeyNodes })['*'];
  const acc: Record<string, unknown> | unknown[] = Array.isArray(obj) ? [] : {};
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (typeof v !== 'function') (acc as Record<string, unknown>)[k] = processObj(v, convert, child);
  }
  return acc;
}

function keysInObj(
  obj: Record<string, unknown> | unknown[],
  convert: (value: never) => unknown,
  keyNodes: { [key: string]: KeyNodes },
): object {
  let acc: Record<string, unknown> | unknown[];
  if (Array.isArray(obj)) {
    acc = obj.filter((item) => typeof item !== 'function');
  } else {
    acc = {};
    for (const [k, v] of Object.entries(obj)) if (typeof v !== 'function') acc[k] = v;
  }
  for (const [key, nodes] of Object.entries(keyNodes)) {
    const value = (obj as Record<string, unknown>)[key];
    if (typeof value === 'function') continue;
    const processed = processObj(value, convert, nodes);
    if (processed !== undefined && typeof processed !== 'function')
      (acc as Record<string, unknown>)[key] = processed;
  }
  return acc;
}

function allKeysInObj(obj: unknown, convert: (value: never) => unknown): unknown {
  if (Array.isArray(obj)) {
    return obj.filter((item) => typeof item !== 'function').map((item) => processObj(item, convert, null));
  }
  const acc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof value === 'function') continue;
    const processed = processObj(value, convert, null);
    if (processed !== undefined && typeof processed !== 'function') acc[key] = processed;
  }
  return acc;
}
