/** The cold-start baseline: a handler that imports nothing, bundled and loaded like the real functions. */
export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: 'hello' });
