/**
 * The half-year report's PDF for a fund of N counties (800): seconds and peak memory of the report function's work
 * (read the report's inputs, build the document, render the PDF with the CJK font) in a child process of its own, so
 * the bench's own memory is not counted (`process.resourceUsage().maxRSS`); the goal is Lambda's 1,024 MB. Beside it,
 * the same child building the JSON report alone: what the PDF adds. The child runs the TypeScript through tsx (its
 * transform counts in both children's memory), where Lambda runs the esbuild bundle.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { halfOf } from '#shared/domain/half-year-report';
import type { SeededFund } from './progress.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./half-year-pdf-child.ts', import.meta.url));

export interface ReportPdfBenchResult {
  counties: number;
  pdfSeconds: number;
  pdfMaxRssMiB: number;
  pdfBytes: number;
  jsonSeconds: number;
  jsonMaxRssMiB: number;
  jsonBytes: number;
}

interface ChildFigures {
  seconds: number;
  maxRssMiB: number;
  bytes: number;
  counties: number;
}

async function child(fundId: string, half: string, kind: 'pdf' | 'json'): Promise<ChildFigures> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, fundId, half, kind], {
    // The phase's runtime set the table and endpoints in this process's environment: the child reads the same table.
    env: process.env,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildFigures;
}

export async function benchReportPdf(show: (text: string) => void, seeded: SeededFund): Promise<ReportPdfBenchResult> {
  const counties = seeded.countyCodes.length;
  const half = halfOf(new Date());
  show('report: JSON in a child process');
  const json = await child(seeded.fundId, half, 'json');
  show('report: PDF in a child process');
  const pdf = await child(seeded.fundId, half, 'pdf');
  if (pdf.counties !== counties) throw new Error(`the report holds ${pdf.counties} of ${counties} counties`);
  return {
    counties,
    pdfSeconds: pdf.seconds,
    pdfMaxRssMiB: pdf.maxRssMiB,
    pdfBytes: pdf.bytes,
    jsonSeconds: json.seconds,
    jsonMaxRssMiB: json.maxRssMiB,
    jsonBytes: json.bytes,
  };
}
