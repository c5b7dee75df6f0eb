/**
 * The half-year report as a PDF (A4): the template's document drawn with pdfkit in a CJK font, the same sections,
 * charts (horizontal bars with their axis values) and data tables as the printable page, every figure the same
 * formatted text. pdfkit embeds only the glyphs used, so the file stays small whatever the font's size.
 */
import PDFDocument from 'pdfkit';
import { openSync } from 'fontkit';
import type { Bilingual, ReportChart, ReportDocument, ReportTable } from './half-year-document.ts';
import { reportFontFile } from './report-font.ts';

const MARGIN = 40;
const FONT = 'report';
const INK = '#111111';
const BAR = '#2a6fdb';
const MUTED = '#555555';

const both = (text: Bilingual) => `${text.zh} ${text.en}`;

/** Every character of the document's text that the font has no glyph for (each once, in order of appearance). */
export function missingGlyphs(doc: ReportDocument, fontFile: string = reportFontFile()): string[] {
  const font = openSync(fontFile);
  const texts: string[] = [doc.title.zh, doc.title.en, doc.subtitle];
  for (const section of doc.sections) {
    texts.push(both(section.heading));
    for (const block of section.blocks) {
      if (block.kind === 'facts') block.rows.forEach((r) => texts.push(both(r.label), r.value));
      else {
        const table = block.kind === 'table' ? block.table : block.chart.table;
        if (block.kind === 'chart') texts.push(both(block.chart.title), ...block.chart.bars.map((b) => `${b.label}${b.display}`));
        texts.push(both(table.caption), ...table.columns.map((c) => both(c.label)), ...table.rows.flat());
      }
    }
  }
  const missing = new Set<string>();
  for (const text of texts) {
    for (const char of text) {
      if (/\s/.test(char)) continue;
      if (!font.hasGlyphForCodePoint(char.codePointAt(0)!)) missing.add(char);
    }
  }
  return [...missing];
}

class Layout {
  readonly pdf: PDFKit.PDFDocument;
  y = MARGIN;

  constructor(pdf: PDFKit.PDFDocument) {
    this.pdf = pdf;
  }

  get width(): number {
    return this.pdf.page.width - 2 * MARGIN;
  }

  get bottom(): number {
    return this.pdf.page.height - MARGIN;
  }

  /** Room for `height` more points on this page, or a new page. Returns true when a page was added. */
  need(height: number): boolean {
    if (this.y + height <= this.bottom) return false;
    this.pdf.addPage();
    this.y = MARGIN;
    return true;
  }

  text(
    text: string,
    size: number,
    options: { x?: number; width?: number; color?: string; align?: 'left' | 'right' | 'center' } = {},
  ): number {
    const width = options.width ?? this.width;
    this.pdf.fontSize(size).fillColor(options.color ?? INK);
    const height = this.pdf.heightOfString(text, { width });
    this.need(height);
    this.pdf.text(text, options.x ?? MARGIN, this.y, { width, align: options.align ?? 'left' });
    this.y += height;
    return height;
  }
}

function drawTable(layout: Layout, table: ReportTable): void {
  const { pdf } = layout;
  layout.y += 4;
  layout.text(both(table.caption), 9);
  layout.y += 2;
  // Each column as wide as its widest cell (headers may wrap), and the type a little smaller when that does not fit:
  // a figure or a hash is never broken across lines, so it reads back whole.
  const natural = (size: number) =>
    table.columns.map((_, i) => {
      pdf.fontSize(size);
      return Math.max(40, ...table.rows.map((r) => pdf.widthOfString(r[i] ?? '') + 6));
    });
  const size = Math.max(5.5, Math.min(7.5, (7.5 * layout.width) / natural(7.5).reduce((a, b) => a + b, 0)));
  const fitted = natural(size);
  const total = fitted.reduce((a, b) => a + b, 0);
  const widths = fitted.map((w) => (w / total) * layout.width);
  const row = (cells: string[], header: boolean) => {
    pdf.fontSize(size);
    const heights = cells.map((cell, i) => pdf.heightOfString(cell, { width: widths[i]! - 3 }));
    const height = Math.max(...heights) + 3;
    const paged = layout.need(height);
    if (paged && !header)
      row(
        table.columns.map((c) => both(c.label)),
        true,
      );
    let x = MARGIN;
    cells.forEach((cell, i) => {
      pdf
        .fontSize(size)
        .fillColor(header ? MUTED : INK)
        .text(cell, x + 1.5, layout.y + 1.5, { width: widths[i]! - 3, align: table.columns[i]?.numeric ? 'right' : 'left' });
      x += widths[i]!;
    });
    layout.y += height;
    pdf
      .moveTo(MARGIN, layout.y)
      .lineTo(MARGIN + layout.width, layout.y)
      .lineWidth(0.3)
      .strokeColor('#bbbbbb')
      .stroke();
  };
  row(
    table.columns.map((c) => both(c.label)),
    true,
  );
  if (table.rows.length === 0) row([`无 None`, ...table.columns.slice(1).map(() => '')], false);
  for (const cells of table.rows) row(cells, false);
  layout.y += 6;
}

function drawChart(layout: Layout, chart: ReportChart): void {
  const { pdf } = layout;
  const rowH = 11;
  const labelW = 150;
  const valueW = 80;
  const barW = layout.width - labelW - valueW;
  const x = (value: number) => MARGIN + labelW + (chart.max > 0 ? (Math.min(value, chart.max) / chart.max) * barW : 0);
  layout.need(40);
  layout.text(both(chart.title), 10);
  if (chart.marker) layout.text(both(chart.marker.label), 7.5, { color: '#aa0000' });
  layout.y += 2;
  // Bars page by page; each page's part gets the marker line and the axis, so every page reads on its own.
  let partTop = layout.y;
  const closePart = () => {
    if (chart.marker) {
      pdf
        .moveTo(x(chart.marker.value), partTop)
        .lineTo(x(chart.marker.value), layout.y)
        .lineWidth(0.8)
        .dash(3, { space: 2 })
        .strokeColor('#cc0000')
        .stroke()
        .undash();
    }
    pdf
      .moveTo(MARGIN + labelW, layout.y)
      .lineTo(MARGIN + labelW + barW, layout.y)
      .lineWidth(0.5)
      .strokeColor('#333333')
      .stroke();
    pdf.fontSize(6.5).fillColor(MUTED);
    for (const tick of chart.axis) {
      pdf.text(tick.display, x(tick.value) - 50, layout.y + 2, { width: 100, align: 'center', lineBreak: false });
    }
    layout.y += 12;
  };
  for (const bar of chart.bars) {
    if (layout.y + rowH + 12 > layout.bottom) {
      closePart();
      pdf.addPage();
      layout.y = MARGIN;
      partTop = layout.y;
    }
    pdf
      .fontSize(7)
      .fillColor(INK)
      .text(bar.label, MARGIN, layout.y + 1.5, { width: labelW - 6, align: 'right', lineBreak: false, ellipsis: true });
    pdf.rect(MARGIN + labelW, layout.y + 2, Math.max(0, x(bar.value) - MARGIN - labelW), rowH - 4).fill(BAR);
    pdf
      .fontSize(7)
      .fillColor(INK)
      .text(bar.display, MARGIN + labelW + barW + 4, layout.y + 1.5, { width: valueW - 4, lineBreak: false });
    layout.y += rowH;
  }
  closePart();
  drawTable(layout, chart.table);
}

/** The document as a PDF. */
export async function renderReportPdf(doc: ReportDocument, fontFile: string = reportFontFile()): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    font: fontFile,
    info: { Title: `${doc.title.zh} ${doc.title.en}`, Producer: 'relief-fund', Creator: 'relief-fund' },
  });
  pdf.registerFont(FONT, fontFile);
  pdf.font(FONT);
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const layout = new Layout(pdf);
  layout.text(doc.title.zh, 16);
  layout.text(doc.title.en, 13);
  layout.text(doc.subtitle, 8, { color: MUTED });
  for (const section of doc.sections) {
    layout.y += 8;
    layout.need(60);
    layout.text(both(section.heading), 12.5);
    layout.y += 3;
    for (const block of section.blocks) {
      if (block.kind === 'facts') {
        for (const r of block.rows) {
          pdf.fontSize(8.5);
          const h = Math.max(pdf.heightOfString(both(r.label), { width: 200 }), pdf.heightOfString(r.value, { width: layout.width - 210 }));
          layout.need(h);
          pdf.fillColor(MUTED).text(both(r.label), MARGIN, layout.y, { width: 200 });
          pdf.fillColor(INK).text(r.value, MARGIN + 210, layout.y, { width: layout.width - 210 });
          layout.y += h + 1;
        }
        layout.y += 4;
      } else if (block.kind === 'chart') drawChart(layout, block.chart);
      else drawTable(layout, block.table);
    }
  }
  pdf.end();
  return done;
}
