/**
 * Child process of the bench's `report` section (./half-year-pdf.ts): reads one fund's half-year report from the
 * table the environment names and renders it, as the report function does for `Accept: application/pdf` (or builds
 * the JSON alone, `json`), then prints its seconds, its own peak memory (maxRSS) and the reply's size as one JSON line.
 * Usage: half-year-pdf-child.ts <fundId> <half> pdf|json
 */
const [fundId, half, kind] = process.argv.slice(2);
if (!fundId || !half || (kind !== 'pdf' && kind !== 'json')) {
  console.error('usage: half-year-pdf-child.ts <fundId> <half> pdf|json');
  process.exit(2);
}
const { halfYearReport } = await import('#shared/data/reports/read-report');
const { halfYearDocument } = await import('#shared/report/half-year-document');
const { renderReportPdf } = await import('#shared/report/half-year-pdf');
const started = performance.now();
const report = await halfYearReport(fundId, half, new Date());
const bytes = kind === 'pdf' ? (await renderReportPdf(halfYearDocument(report))).length : Buffer.byteLength(JSON.stringify(report));
const seconds = (performance.now() - started) / 1000;
// maxRSS is in kilobytes (KiB): the peak resident set of this process, everything it loaded included.
process.stdout.write(
  `${JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, bytes, counties: report.counties.length })}\n`,
);

export {};
