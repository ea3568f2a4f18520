import { createHash } from 'node:crypto';

/** A message attribute as the JSON protocol carries it (`BinaryValue` is base64). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export type MessageAttributes = Readonly<Record<string, MessageAttributeValue>>;

/** Hex MD5 of the UTF-8 bytes of a message body (`MD5OfMessageBody`, `md5OfBody`). */
export const md5OfBody = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

const lengthPrefixed = (bytes: Buffer): Buffer[] => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return [len, bytes];
};

/**
 * `MD5OfMessageAttributes` as SQS computes it: for each attribute in name order, the length-prefixed
 * (4-byte big-endian) UTF-8 name and data type, a transport byte (1 = string, 2 = binary) and the
 * length-prefixed value bytes; MD5 over the concatenation. Undefined for no attributes.
 */
export const md5OfAttributes = (attributes: MessageAttributes | undefined): string | undefined => {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const a = attributes[name]!;
    const parts = [
      ...lengthPrefixed(Buffer.from(name, 'utf8')),
      ...lengthPrefixed(Buffer.from(a.DataType, 'utf8')),
    ];
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]), ...lengthPrefixed(Buffer.from(a.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), ...lengthPrefixed(Buffer.from(a.StringValue ?? '', 'utf8')));
    }
    for (const p of parts) hash.update(p);
  }
  return hash.digest('hex');
};

/** Bytes an attribute counts toward the message size limit: name + type + value. */
export const attributesSize = (attributes: MessageAttributes | undefined): number => {
  let n = 0;
  for (const [name, a] of Object.entries(attributes ?? {})) {
    n += Buffer.byteLength(name) + Buffer.byteLength(a.DataType);
    n +=
      a.BinaryValue !== undefined
        ? Buffer.from(a.BinaryValue, 'base64').length
        : Buffer.byteLength(a.StringValue ?? '');
  }
  return n;
};
