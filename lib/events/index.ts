export * from './envelope.ts';
export * from './normalize.ts';
