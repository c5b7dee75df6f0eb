// Built with the money-path issue; the entry exists so the stacks can be wired and synthesized.
export const handler = async (): Promise<never> => {
  throw new Error('not built yet');
};
