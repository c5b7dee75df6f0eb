import { httpFunction } from '#shared/http/function';

export const handler = httpFunction('campaigns', []);
