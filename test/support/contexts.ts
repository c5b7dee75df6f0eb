/**
 * A bounded context's data modules as one object (items and verbs), imported on first call: the
 * integration tests set the environment before the first import, and call a context's functions by name.
 */
export async function batchesContext() {
  return {
    ...(await import('#shared/data/batches/items')),
    ...(await import('#shared/data/batches/create')),
    ...(await import('#shared/data/batches/approve')),
    ...(await import('#shared/data/batches/close')),
    ...(await import('#shared/data/batches/flags')),
    ...(await import('#shared/data/batches/expand')),
    ...(await import('#shared/data/batches/notice-subject')),
    listBatchPayouts: (await import('#shared/data/payouts/list')).listBatchPayouts,
  };
}
export type BatchesContext = Awaited<ReturnType<typeof batchesContext>>;

export async function payoutsContext() {
  return {
    ...(await import('#shared/data/payouts/items')),
    ...(await import('#shared/data/payouts/list')),
    ...(await import('#shared/data/payouts/delivery')),
    ...(await import('#shared/data/payouts/settle')),
    ...(await import('#shared/data/payouts/redeliver')),
  };
}
export type PayoutsContext = Awaited<ReturnType<typeof payoutsContext>>;

export async function noticesContext() {
  return {
    ...(await import('#shared/data/notices/items')),
    ...(await import('#shared/data/notices/list')),
    ...(await import('#shared/data/notices/objections')),
    ...(await import('#shared/data/notices/end')),
    ...(await import('#shared/data/notices/subjects')),
  };
}
export type NoticesContext = Awaited<ReturnType<typeof noticesContext>>;

export async function campaignsContext() {
  return {
    ...(await import('#shared/data/campaigns/items')),
    ...(await import('#shared/data/campaigns/launch')),
    ...(await import('#shared/data/campaigns/cancel')),
    ...(await import('#shared/data/campaigns/results')),
    ...(await import('#shared/data/campaigns/list')),
  };
}
export type CampaignsContext = Awaited<ReturnType<typeof campaignsContext>>;

export async function fundsContext() {
  return {
    ...(await import('#shared/data/funds/items')),
    ...(await import('#shared/data/funds/allocate')),
  };
}
export type FundsContext = Awaited<ReturnType<typeof fundsContext>>;
