/**
 * Stations onboarded as the stations function does it, for tests that need an active one: applied, trained,
 * approved by a second officer. Each gets an operator of its own (an operator runs one station at a time).
 */
import { nationalIdCheckCharacter } from '#shared/domain/personal-data';

type Stations = typeof import('#shared/data/stations/items');

let operators = 0;

/** An active station of `countyCode`: its id. */
export async function activeStation(stations: Stations, countyCode: string): Promise<string> {
  operators += 1;
  const first17 = `51342219750314${String(operators).padStart(3, '0')}`;
  const applied = await stations.applyStation(
    {
      countyCode,
      village: 'Zhongyi',
      name: 'Zhongyi village service station',
      kind: 'village-service-station',
      operator: { name: 'Li Hua', phone: '13912345678', nationalId: first17 + nationalIdCheckCharacter(first17) },
    },
    { sub: 'officer-a' },
    new Date(),
  );
  await stations.changeStation(
    applied.stationId,
    { action: 'record-training', completedAt: '2026-01-10T02:00:00Z', course: 'Station operations' },
    { sub: 'officer-a' },
    new Date(),
  );
  await stations.changeStation(applied.stationId, { action: 'approve' }, { sub: 'officer-b' }, new Date());
  return applied.stationId;
}
