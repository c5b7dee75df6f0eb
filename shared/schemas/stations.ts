import * as z from 'zod';
import {
  MAINLAND_MOBILE,
  NATIONAL_ID_INPUT,
  nationalIdProblem,
  normalizeNationalId,
  PERSONAL_DATA_MESSAGES,
} from '../domain/personal-data.ts';
import { STATION_KINDS, STATION_STATUSES } from '../domain/stations.ts';
import { CountyCode, NonBlank, Reason, Timestamp, idOf } from './common.ts';
import { contractsOf, listQuery, pageResponse } from './contract.ts';

const contract = contractsOf('Stations');

/*
 * Phone and national ID schemas carry their own messages for every failure (wrong type included):
 * a 400 says what is wrong with the field and never repeats the value submitted.
 */

export const OperatorPhone = z
  .string({ error: PERSONAL_DATA_MESSAGES.phone })
  .regex(MAINLAND_MOBILE, { error: PERSONAL_DATA_MESSAGES.phone })
  .meta({ description: 'Mainland mobile number: 11 digits, 1[3-9]…', example: '13812345678' });

export const OperatorNationalId = z
  .string({ error: PERSONAL_DATA_MESSAGES.format })
  .regex(NATIONAL_ID_INPUT, { error: PERSONAL_DATA_MESSAGES.format })
  .overwrite(normalizeNationalId)
  .superRefine((nationalId, ctx) => {
    const problem = nationalIdProblem(nationalId, new Date());
    // The shape is reported by the pattern above; here only what a pattern cannot say.
    if (problem && problem !== 'format') ctx.addIssue({ code: 'custom', message: PERSONAL_DATA_MESSAGES[problem] });
  })
  .meta({
    description: 'Resident identity number (GB 11643): 18 characters with a valid check character and birth date.',
    example: '11010519491231002X',
  });

export const StationKindSchema = z.enum(STATION_KINDS).meta({ id: 'StationKind' });
export const StationStatusSchema = z.enum(STATION_STATUSES).meta({ id: 'StationStatus' });

export const ApplyStationBody = z
  .strictObject({
    countyCode: CountyCode,
    village: NonBlank(100),
    name: NonBlank(200),
    kind: StationKindSchema,
    operator: z.strictObject({
      name: NonBlank(100),
      phone: OperatorPhone,
      nationalId: OperatorNationalId,
    }),
  })
  .meta({ id: 'ApplyStationBody' });

export const RecordTrainingBody = z
  .strictObject({
    completedAt: Timestamp.refine((t) => Date.parse(t) <= Date.now() + 5 * 60_000, {
      error: 'training cannot be completed in the future',
    }),
    course: NonBlank(200),
  })
  .meta({ id: 'RecordTrainingBody' });

export const ReinstateStationBody = z.strictObject({ reason: NonBlank(500).optional() }).meta({ id: 'ReinstateStationBody' });

export const ApproveStationBody = z.strictObject({}).meta({ id: 'ApproveStationBody' });

const StationHistoryEntry = z
  .object({
    at: Timestamp,
    actor: z.string(),
    action: z.enum(['applied', 'training_recorded', 'approved', 'rejected', 'suspended', 'reinstated']),
    fromStatus: z.union([StationStatusSchema, z.null()]),
    toStatus: StationStatusSchema,
    reason: z.string().optional(),
  })
  .meta({ id: 'StationHistoryEntry' });

export const Station = z
  .object({
    stationId: idOf('station'),
    countyCode: CountyCode,
    village: z.string(),
    name: z.string(),
    kind: StationKindSchema,
    status: StationStatusSchema,
    operator: z.object({
      name: z.string(),
      phone: z.string().meta({ description: 'Always masked: `138****5678`.' }),
      nationalId: z.string().meta({ description: 'Always masked: `**************123X`.' }),
    }),
    training: z.object({ completedAt: Timestamp, course: z.string(), recordedBy: z.string(), recordedAt: Timestamp }).nullable(),
    createdBy: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    history: z.array(StationHistoryEntry),
  })
  .meta({ id: 'Station' });

const StationParams = z.strictObject({ stationId: idOf('station') });

const STATION_REPLY = { 200: { description: 'The station', schema: Station } };

export const applyStation = contract('applyStation', 'Apply to onboard a service station (status `applied`)', {
  description:
    "One operator, one live station: while another station of the same national ID is `applied` or `active`, 409 `operator_already_registered`. A suspended station does not block. The operator's phone and national ID are masked in every response.",
  body: ApplyStationBody,
  responses: { 201: { description: 'Created', schema: Station } },
  errors: ['not_found', 'operator_already_registered'],
});

export const listStations = contract('listStations', 'List stations, newest first', {
  query: listQuery({ countyCode: CountyCode.optional(), status: StationStatusSchema.optional() }),
  responses: pageResponse('A page of stations', Station, 'StationPage'),
});

export const getStation = contract('getStation', 'Get a station with its history', {
  params: StationParams,
  responses: STATION_REPLY,
});

export const recordStationTraining = contract('recordStationTraining', "Record (or correct) the operator's training", {
  params: StationParams,
  body: RecordTrainingBody,
  responses: STATION_REPLY,
  errors: ['invalid_state'],
});

export const approveStation = contract('approveStation', 'Approve an applied station (`active`); emits `station.activated`', {
  description:
    'Only a station officer other than the one who applied (403 `self_approval`), and only once training is recorded (409 `training_required`).',
  params: StationParams,
  body: ApproveStationBody,
  responses: STATION_REPLY,
  errors: ['self_approval', 'training_required', 'invalid_state'],
});

export const rejectStation = contract('rejectStation', "Reject an applied station; releases the operator's slot", {
  params: StationParams,
  body: Reason,
  responses: STATION_REPLY,
  errors: ['invalid_state'],
});

export const suspendStation = contract(
  'suspendStation',
  "Suspend an active station; releases the operator's slot and emits `station.suspended`",
  {
    params: StationParams,
    body: Reason,
    responses: STATION_REPLY,
    errors: ['invalid_state'],
  },
);

export const reinstateStation = contract('reinstateStation', 'Reinstate a suspended station (`active`); emits `station.activated`', {
  description:
    "Takes the operator's slot back atomically: if the operator has meanwhile applied for or runs another station, 409 `operator_already_registered` and nothing changes.",
  params: StationParams,
  body: ReinstateStationBody,
  responses: STATION_REPLY,
  errors: ['invalid_state', 'operator_already_registered'],
});
