/**
 * Counties. Listing: `gsi1pk = COUNTIES`, `gsi1sk = <countyCode>`.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { documents } from '../platform/clients.ts';
import { keys } from '../platform/keys.ts';
import { getItem, queryPage, requireItem, type Page } from '../platform/query.ts';
import { storedFields } from '../platform/fields.ts';

export interface County {
  countyCode: string;
  name: string;
  province: string;
  modelCounty: boolean;
  createdAt: string;
  updatedAt: string;
}

/** gsi1pk of every county. */
export const ALL_COUNTIES = 'COUNTIES';

const countyFields = storedFields<County>();

export function toCounty(item: Record<string, unknown>): County {
  return countyFields(item, ['countyCode', 'name', 'province', 'modelCounty', 'createdAt', 'updatedAt']);
}

/** Creates or replaces a county; `created` tells which. */
export async function putCounty(
  input: { countyCode: string; name: string; province: string; modelCounty: boolean },
  now: Date,
): Promise<{ county: County; created: boolean }> {
  const at = now.toISOString();
  const result = await documents.send(
    new UpdateCommand({
      TableName: config().TABLE_NAME,
      Key: keys.county(input.countyCode),
      UpdateExpression:
        'SET #type = :type, countyCode = :code, #name = :name, province = :province, modelCounty = :model, ' +
        'createdAt = if_not_exists(createdAt, :at), updatedAt = :at, gsi1pk = :list, gsi1sk = :code',
      ExpressionAttributeNames: { '#type': 'type', '#name': 'name' },
      ExpressionAttributeValues: {
        ':type': 'county',
        ':code': input.countyCode,
        ':name': input.name,
        ':province': input.province,
        ':model': input.modelCounty,
        ':at': at,
        ':list': ALL_COUNTIES,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const county = toCounty(result.Attributes ?? {});
  return { county, created: county.createdAt === at };
}

export async function findCounty(countyCode: string): Promise<County | undefined> {
  const Item = await getItem(keys.county(countyCode));
  return Item ? toCounty(Item) : undefined;
}

export async function getCounty(countyCode: string): Promise<County> {
  return toCounty(await requireItem(keys.county(countyCode), `County ${countyCode}`));
}

export async function listCounties(filter: {
  province?: string;
  modelCounty?: boolean;
  limit: number;
  cursor?: string;
}): Promise<Page<County>> {
  const conditions: string[] = [];
  const values: Record<string, unknown> = { ':list': ALL_COUNTIES };
  if (filter.province !== undefined) {
    conditions.push('province = :province');
    values[':province'] = filter.province;
  }
  if (filter.modelCounty !== undefined) {
    conditions.push('modelCounty = :model');
    values[':model'] = filter.modelCounty;
  }
  const page = await queryPage({
    index: 'gsi1',
    keyCondition: 'gsi1pk = :list',
    filter: conditions.length ? conditions.join(' AND ') : undefined,
    values,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `counties|${filter.province ?? ''}|${filter.modelCounty ?? ''}`,
  });
  return { items: page.items.map(toCounty), nextCursor: page.nextCursor };
}

/** A transaction step that fails with 404 when the county does not exist. */
export function countyExistsStep(countyCode: string) {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.county(countyCode),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => notFound(`County ${countyCode}`),
  };
}
