/**
 * The payment instruction as its payer reads it back (API 1.2): the finance system that pays a payout's fund reads
 * that payout with the full account, so that it pays only what the API confirms. Nobody else ever does.
 */
import { isObserver, type MoneyReader } from './roles.ts';

/**
 * Whether `reader` is the finance system that pays the payout (`payer`, the fund's `financeSystem`): a machine
 * client with the finance-system role whose `sub` is the payer. A person's token with the same `sub` but other roles
 * is not it, and neither is a token that also carries `observer` (an observer always reads masked).
 */
export function readsFullAccount(reader: MoneyReader, payer: string): boolean {
  return payer !== '' && reader.sub === payer && reader.roles.includes('finance-system') && !isObserver(reader);
}
