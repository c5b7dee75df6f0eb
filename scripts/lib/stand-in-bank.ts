/**
 * The stand-in bank's accounts, for the reference receiver's answers to `account.verification_requested`: a
 * JSON-lines file, one account a line, `{ "bankName", "accountNumber", "holderName" }`. Add one with
 *
 *   echo '{"bankName":"ABC Kunming","accountNumber":"6228480012345678901","holderName":"Hani Tea Coop"}' >> bank-accounts.jsonl
 *
 * The file is read on every check, so an account added while the receiver runs counts at once. The bank's check,
 * as a name-and-account check would answer it: an account it does not hold is `no_match`; one it holds under the
 * name asked about (trimmed, case folded) is `match`; under another name `close_match`, with the name it holds.
 */
import { Journal } from './journal.ts';

export interface BankAccountEntry {
  bankName: string;
  accountNumber: string;
  holderName: string;
}

export type BankCheck = { result: 'match' } | { result: 'close_match'; bankAccountName: string } | { result: 'no_match' };

const fold = (s: string) => s.trim().toUpperCase().toLowerCase();
const digits = (s: string) => s.replace(/[\s-]/g, '');

export function checkAccount(
  accounts: readonly BankAccountEntry[],
  asked: { bankName: string; accountName: string; accountNumber: string },
): BankCheck {
  const held = accounts.find((a) => fold(a.bankName) === fold(asked.bankName) && digits(a.accountNumber) === digits(asked.accountNumber));
  if (!held) return { result: 'no_match' };
  return fold(held.holderName) === fold(asked.accountName)
    ? { result: 'match' }
    : { result: 'close_match', bankAccountName: held.holderName };
}

/** The bank's accounts as the file holds them now (none when there is no file). */
export function readBankAccounts(path: string): BankAccountEntry[] {
  return Journal.read<BankAccountEntry>(path).filter(
    (a) => typeof a.bankName === 'string' && typeof a.accountNumber === 'string' && typeof a.holderName === 'string',
  );
}
