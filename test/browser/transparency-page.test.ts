/**
 * The fund's public page (公告公示) in Debian's Chromium, on a 360 px phone, served with its own headers (CSP): it
 * fits the screen with a full page of counties, axe-core finds nothing, the CSP refuses nothing on the page (its one
 * style applies), and no name, account, ID or phone planted in the inputs reaches it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PUBLIC_COUNTIES, publicFundView } from '#shared/domain/transparency';
import { renderTransparencyPage, transparencyPageHeaders } from '#shared/http/transparency-page';
import { PLANTED, transparencyInput } from '#test/support/transparency-fixture';
import { checkPublicPageOnPhone } from '#test/support/browser';

describe('the transparency page on a phone', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no personal data', async () => {
    const body = renderTransparencyPage(publicFundView(transparencyInput(DEFAULT_PUBLIC_COUNTIES, { nextCursor: 'next-page' })));
    const path = '/transparency/fund_01JTRANSPARENCY0000000000';
    await checkPublicPageOnPhone({ headers: transparencyPageHeaders(), body, path }, Object.values(PLANTED), async (page) => {
      // the inline style applied (its hash is allowed): the progress bars span the width
      expect(
        await page
          .locator('progress')
          .first()
          .evaluate((e) => e.getBoundingClientRect().width),
      ).toBeGreaterThan(300);
      expect(await page.locator('progress').count()).toBe(DEFAULT_PUBLIC_COUNTIES + 1);
      const text = await page.locator('main').innerText();
      expect(text).toContain('秀山土家族苗族自治县');
      expect(text).toContain('Time elapsed');
    });
  }, 60_000);
});
