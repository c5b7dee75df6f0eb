import * as z from 'zod';
import { BENEFICIARY_KINDS } from '../domain/payouts.ts';
import { NOTICE_ITEM_STATUSES, NOTICE_STATUSES, OBJECTION_STATUSES } from '../domain/notices.ts';
import { Amount, CountyCode, idOf, Page, Timestamp } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Public notice');

export const NoticeStatus = z.enum(NOTICE_STATUSES).meta({ id: 'NoticeStatus' });
export const ObjectionStatus = z.enum(OBJECTION_STATUSES).meta({ id: 'ObjectionStatus' });

const NoticeHead = {
  noticeId: idOf('notice'),
  countyCode: CountyCode,
  countyName: z.string(),
  fundName: z.string(),
  purpose: z.string(),
  startsAt: Timestamp,
  endsAt: Timestamp,
  status: NoticeStatus,
  itemCount: z.number().int().min(0).meta({ description: 'How many items the notice posts (on every page).' }),
};

/** A notice on the board's list: its item count, never its items (a batch notice holds thousands). */
export const PublicNoticeSummary = z.object(NoticeHead).meta({ id: 'PublicNoticeSummary' });

export const PublicNotice = z
  .object({
    ...NoticeHead,
    items: z.array(
      z.object({
        itemRef: z.string(),
        beneficiaryName: z.string().meta({ description: 'First character shown, the rest masked (`王**`).' }),
        beneficiaryKind: z.enum(BENEFICIARY_KINDS),
        amount: Amount,
        status: z.enum(NOTICE_ITEM_STATUSES),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: "Opaque cursor for the notice's next page of items, null on the last." }),
  })
  .meta({ id: 'PublicNotice' });

/** A notice's items per request: `?limit=` 1..500, default 100. */
const NoticeItemsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: Page.cursor,
});

/** An item reference: a disbursement id, or a batch id and row. */
export const ItemRef = z.string().regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}(?:-\d{1,4})?$/, 'unknown item');

export const ObjectionBody = z
  .strictObject({
    itemRef: ItemRef,
    reason: z.string().trim().min(10).max(1000),
    contact: z.string().trim().min(1).max(100).optional().meta({ description: 'Personal data: masked in every response, never logged.' }),
  })
  .meta({ id: 'ObjectionBody' });

export const Objection = z
  .object({
    objectionId: idOf('objection'),
    noticeId: idOf('notice'),
    itemRef: z.string(),
    reason: z.string(),
    contact: z.string().nullable().meta({ description: 'Masked.' }),
    status: ObjectionStatus,
    resolvedBy: z.string().nullable(),
    resolvedAt: Timestamp.nullable(),
    note: z.string().nullable(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Objection' });

const NoticeParams = z.strictObject({ noticeId: idOf('notice') });
const NoticeListQuery = listQuery({ countyCode: CountyCode.optional(), status: NoticeStatus.optional() });

export const listPublicNotices = contract(
  'listPublicNotices',
  'Public notices (公示), newest first, each with its itemCount and without its items',
  {
    query: NoticeListQuery,
    responses: pageResponse('A page of notices', PublicNoticeSummary, 'PublicNoticePage'),
  },
);

export const getPublicNotice = contract(
  'getPublicNotice',
  'One public notice with a page of its items (names masked, no account, phone or ID)',
  {
    description: 'Items in a stable order, `limit` (1..500, default 100) per request; `nextCursor` reads the next page.',
    params: NoticeParams,
    query: NoticeItemsQuery,
    responses: { 200: { description: 'The notice', schema: PublicNotice } },
  },
);

export const fileObjection = contract(
  'fileObjection',
  'Object to an item of an open notice (holds the item until a fund admin resolves it)',
  {
    description:
      'At most 20 open (unresolved) objections per item: resolved ones do not count. Bodies over 4 KB are refused. ' +
      'At most OBJECTIONS_PER_SOURCE_HOUR (default 30) objections an hour from one source address to one notice (429 rate_limited).',
    params: NoticeParams,
    body: ObjectionBody,
    responses: { 202: { description: 'Received', schema: z.object({ objectionId: idOf('objection') }).meta({ id: 'ObjectionReceived' }) } },
    errors: ['invalid_state', 'rate_limited'],
  },
);

export const listNoticePages = contract(
  'listNoticePages',
  "A county's notices as a page for a phone screen (Chinese and English, no script)",
  {
    query: z.strictObject({ countyCode: CountyCode.optional(), cursor: Page.cursor }),
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
  },
);

export const getNoticePage = contract(
  'getNoticePage',
  'One notice as a page for a phone screen, with an objection form that works without JavaScript',
  {
    description: 'Shows 100 items a page, with a link to the next.',
    params: NoticeParams,
    query: z.strictObject({ cursor: Page.cursor }),
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
  },
);

/** The page's form posts `application/x-www-form-urlencoded`; the handler validates it with ObjectionBody. */
export const postNoticeObjectionForm = contract('postNoticeObjectionForm', "The notice page's objection form (HTML in, HTML out)", {
  params: NoticeParams,
  bodyFormat: 'form',
  body: z.record(z.string(), z.string()),
  responses: { 202: { description: 'HTML confirmation', contentType: 'text/html' } },
  errors: ['invalid_state', 'rate_limited'],
});

export const listObjections = contract('listObjections', 'Objections, newest first', {
  query: listQuery({ status: ObjectionStatus.optional(), noticeId: idOf('notice').optional() }),
  responses: pageResponse('A page of objections', Objection, 'ObjectionPage'),
});

const Resolution = { outcome: z.enum(['upheld', 'dismissed']), note: z.string().trim().min(1).max(1000) };

export const resolveObjection = contract(
  'resolveObjection',
  'Resolve an objection: upheld withdraws the item and releases its money; dismissed lets it proceed',
  {
    description: 'Not by whoever requested or approved the item (403 self_approval).',
    params: z.strictObject({ objectionId: idOf('objection') }),
    body: z.strictObject(Resolution).meta({ id: 'ResolveObjectionBody' }),
    responses: { 200: { description: 'The objection', schema: Objection } },
    errors: ['invalid_state', 'self_approval'],
  },
);

export const MAX_OBJECTIONS_PER_RESOLUTION = 100;

export const resolveObjections = contract('resolveObjections', 'Resolve up to 100 objections with one outcome and note, each on its own', {
  description:
    'Each objection is resolved exactly as by POST /v1/objections/{objectionId}/resolve, and on its own: one refused (with the ' +
    'code the single route would answer: not_found, invalid_state, self_approval, …) blocks no other.',
  body: z
    .strictObject({
      objectionIds: z
        .array(idOf('objection'))
        .min(1)
        .max(MAX_OBJECTIONS_PER_RESOLUTION)
        .refine((ids) => new Set(ids).size === ids.length, 'objectionIds must be unique'),
      ...Resolution,
    })
    .meta({ id: 'ResolveObjectionsBody' }),
  responses: {
    200: {
      description: 'What was resolved, and what was refused with its code',
      schema: z
        .object({
          resolved: z.array(idOf('objection')),
          refused: z.array(z.object({ objectionId: idOf('objection'), code: z.string() })),
        })
        .meta({ id: 'ObjectionResolutions' }),
    },
  },
});
