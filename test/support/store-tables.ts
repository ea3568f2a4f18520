/** Table definitions for the embedded store's tests (CreateTable requests). */

/** A table keyed by one string attribute, on demand. */
export const table = (name: string, key = 'pk') => ({
  TableName: name,
  KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
  BillingMode: 'PAY_PER_REQUEST',
});

/** A table keyed by `pk` with a GSI `byG` on `g` (all attributes projected). */
export const withIndex = (name: string) => ({
  ...table(name),
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'g', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byG',
      KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});
