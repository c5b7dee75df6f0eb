import { httpFunction } from '#shared/http/function';
import { accepted, implement, ok, type HttpReply } from '#shared/http/operation';
import { noticePageHeaders, renderMessagePage, renderNoticeListPage, renderNoticePage } from '#shared/http/notice-page';
import { DomainError } from '#shared/domain/errors';
import * as contracts from '#shared/schemas/notices';
import { listPublicNotices, listNoticeBoard, readNoticeBoardPage, DEFAULT_NOTICE_ITEMS_PER_PAGE } from '#shared/data/notices/list';
import { fileObjection, listObjections, resolveObjection, resolveObjections } from '#shared/data/notices/objections';
// The money side of notices (proceed, withdraw) lives with disbursements and batches.
import '#shared/data/disbursements/items';
import '#shared/data/batches/items';

const html = (status: number, raw: string): HttpReply => ({ status, raw, headers: noticePageHeaders() });

export const handler = httpFunction('notices', [
  implement(contracts.listPublicNotices, async ({ query }) => ok(await listNoticeBoard(query))),
  implement(contracts.getPublicNotice, async ({ params, query }) => ok(await readNoticeBoardPage(params.noticeId, query))),
  implement(contracts.fileObjection, async ({ params, body, now, sourceIp }) =>
    accepted(await fileObjection(params.noticeId, body, now, sourceIp)),
  ),
  implement(contracts.listNoticePages, async ({ query }) => {
    const page = await listPublicNotices({ countyCode: query.countyCode, cursor: query.cursor, limit: 25, withItems: false });
    return html(200, renderNoticeListPage(page.items, query.countyCode, page.nextCursor));
  }),
  implement(contracts.getNoticePage, async ({ params, query }) =>
    html(200, renderNoticePage(await readNoticeBoardPage(params.noticeId, { limit: DEFAULT_NOTICE_ITEMS_PER_PAGE, cursor: query.cursor }))),
  ),
  implement(contracts.postNoticeObjectionForm, async ({ params, body, now, sourceIp }) => {
    const back = `/notices/${params.noticeId}`;
    const parsed = contracts.ObjectionBody.safeParse(body);
    if (!parsed.success) {
      return html(
        400,
        renderMessagePage('请检查填写 Please check the form', '理由需 10 至 1000 字。The reason must be 10 to 1000 characters.', back),
      );
    }
    try {
      const { objectionId } = await fileObjection(params.noticeId, parsed.data, now, sourceIp);
      return html(202, renderMessagePage('已收到异议 Objection received', `编号 Reference: ${objectionId}`, back));
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return html(error.status, renderMessagePage('未能提交 Not accepted', error.message, back));
    }
  }),
  implement(contracts.listObjections, async ({ query }) => ok(await listObjections(query))),
  implement(contracts.resolveObjection, async ({ params, body, principal, correlationId, now }) =>
    ok(await resolveObjection(params.objectionId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.resolveObjections, async ({ body, principal, correlationId, now }) =>
    ok(await resolveObjections(body.objectionIds, body, { sub: principal.sub, correlationId }, now)),
  ),
]);
