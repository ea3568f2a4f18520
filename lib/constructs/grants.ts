import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';

/**
 * Grants item actions on the table itself and nothing else. `ITable.grant` also grants every
 * index (`<table>/index/*`), which a function given this grant never touches (decision 10).
 */
export function grantTable(table: ITable, grantee: IGrantable, ...actions: string[]): Grant {
  return Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });
}

/** The item actions of a function that reads and writes single items and timeline lines. */
export const ITEM_READ_WRITE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
] as const;

/** Query on the table's gsi1 (the overloaded sparse index), and no other index. */
export function grantIndexQuery(table: ITable, grantee: IGrantable, indexName = 'gsi1'): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: [`${table.tableArn}/index/${indexName}`],
  });
}
