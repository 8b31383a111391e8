/** Time is passed in, never read inside decisions, so tests and replays control it. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
