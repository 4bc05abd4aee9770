export * from './codec/index.js';
export * from './client/client.js';
