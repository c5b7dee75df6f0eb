import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/stations';
import { applyStation, changeStation, getStation, listStations } from '#shared/data/stations/items';
import { presentStation } from '#shared/domain/stations';

// Every reply goes through presentStation: the operator's phone and national ID leave masked.
export const handler = httpFunction('stations', [
  implement(contracts.applyStation, async ({ body, principal, correlationId, now, claim }) =>
    created(presentStation(await applyStation(body, { sub: principal.sub, correlationId }, now, claim))),
  ),
  implement(contracts.listStations, async ({ query }) => {
    const page = await listStations(query);
    return ok({ items: page.items.map(presentStation), nextCursor: page.nextCursor });
  }),
  implement(contracts.getStation, async ({ params }) => ok(presentStation(await getStation(params.stationId)))),
  implement(contracts.recordStationTraining, async ({ params, body, principal, correlationId, now }) =>
    ok(
      presentStation(
        await changeStation(
          params.stationId,
          { action: 'record-training', completedAt: body.completedAt, course: body.course },
          { sub: principal.sub, correlationId },
          now,
        ),
      ),
    ),
  ),
  implement(contracts.approveStation, async ({ params, principal, correlationId, now }) =>
    ok(presentStation(await changeStation(params.stationId, { action: 'approve' }, { sub: principal.sub, correlationId }, now))),
  ),
  implement(contracts.rejectStation, async ({ params, body, principal, correlationId, now }) =>
    ok(
      presentStation(
        await changeStation(params.stationId, { action: 'reject', reason: body.reason }, { sub: principal.sub, correlationId }, now),
      ),
    ),
  ),
  implement(contracts.suspendStation, async ({ params, body, principal, correlationId, now }) =>
    ok(
      presentStation(
        await changeStation(params.stationId, { action: 'suspend', reason: body.reason }, { sub: principal.sub, correlationId }, now),
      ),
    ),
  ),
  implement(contracts.reinstateStation, async ({ params, body, principal, correlationId, now }) =>
    ok(
      presentStation(
        await changeStation(params.stationId, { action: 'reinstate', reason: body.reason }, { sub: principal.sub, correlationId }, now),
      ),
    ),
  ),
]);
