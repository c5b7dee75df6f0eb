/**
 * The half-year report, in the media type the caller asks for (`Accept`): JSON by default, `text/html` the printable
 * page, `application/pdf` the PDF; all three from one template (shared/report/). Its own function: it carries pdfkit
 * and the CJK font (beside index.mjs), which no other route needs.
 */
import { httpFunction } from '#shared/http/function';
import { implement, ok, type HttpReply } from '#shared/http/operation';
import { negotiate } from '#shared/http/negotiate';
import * as contracts from '#shared/schemas/reports';
import { halfYearReport } from '#shared/data/reports/read-report';
import { halfYearDocument } from '#shared/report/half-year-document';
import { renderReportPage, reportPageHeaders } from '#shared/report/half-year-html';
import { renderReportPdf } from '#shared/report/half-year-pdf';

const OFFERED = ['application/json', 'text/html', 'application/pdf'] as const;

export const handler = httpFunction('reports', [
  implement(contracts.getHalfYearReport, async ({ params, headers, now }): Promise<HttpReply> => {
    const type = negotiate(headers.accept, OFFERED);
    const report = await halfYearReport(params.fundId, params.half, now);
    if (type === 'application/json') return { ...ok(report), headers: { vary: 'accept' } };
    const document = halfYearDocument(report);
    if (type === 'text/html') return { status: 200, raw: renderReportPage(document), headers: { ...reportPageHeaders(), vary: 'accept' } };
    return {
      status: 200,
      raw: await renderReportPdf(document),
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${params.fundId}-${params.half}.pdf"`,
        'cache-control': 'private, no-store',
        vary: 'accept',
      },
    };
  }),
]);
