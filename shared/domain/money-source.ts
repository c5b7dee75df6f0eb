/**
 * Where the money of a disbursement or payout comes from, and where it goes back to: the campaign's
 * subsidy when the disbursement names a campaign, else the county allocation.
 */
export type MoneySource = { kind: 'subsidy'; campaignId: string } | { kind: 'allocation' };

/**
 * A draw (a reservation) takes from the campaign's subsidy whenever a campaign is named: the draw's own
 * condition refuses a subsidy that no longer holds enough. A return (a release, a failed payout) goes to the
 * subsidy only while it still holds money (`reserved`); once released, its money is back on the
 * allocation, and so is whatever comes back later.
 */
export function moneySource(direction: 'draw' | 'return', campaignId: string | null | undefined, subsidyReserved: boolean): MoneySource {
  if (!campaignId) return { kind: 'allocation' };
  if (direction === 'return' && !subsidyReserved) return { kind: 'allocation' };
  return { kind: 'subsidy', campaignId };
}
