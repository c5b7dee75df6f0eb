/**
 * The CJK font the PDF report is set in: Noto Sans SC Regular (SIL Open Font License), one weight of the
 * `@expo-google-fonts/noto-sans-sc` package. The deployed report function carries this one file beside index.mjs
 * (copied after esbuild, never the 57 MB package); locally it is read from the package.
 *
 * Why the whole weight and no subset: the report sets names that are data (fund names, county names), and any CJK
 * character in them must render. A subset small enough to matter (GB 2312's 6,763 hanzi: about a fifth of the font)
 * would print boxes for the rarer characters real place names use; the full weight covers 30,890 characters,
 * including the 通用规范汉字表 extensions. pdfkit embeds only the glyphs a PDF uses, so the font's size costs disk in
 * one function's package (10.5 MB, about 6.3 MB compressed), not PDF size, and it is read only when a PDF is asked for.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLED_FONT_FILE = 'NotoSansSC-Regular.ttf';
const FONT_PACKAGE = '@expo-google-fonts/noto-sans-sc/package.json';
const FONT_IN_PACKAGE = '400Regular/NotoSansSC_400Regular.ttf';

/** The font beside the bundle when deployed, else the one in the (development) package. */
export function reportFontFile(moduleUrl: string = import.meta.url): string {
  const beside = path.join(path.dirname(fileURLToPath(moduleUrl)), BUNDLED_FONT_FILE);
  if (existsSync(beside)) return beside;
  return path.join(path.dirname(createRequire(moduleUrl).resolve(FONT_PACKAGE)), FONT_IN_PACKAGE);
}
