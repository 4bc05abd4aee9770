export * from './constants.js';
export * from './crc.js';
export * from './deframer.js';
export * from './errors.js';
export * from './fields.js';
export * from './frame.js';
export * from './payloads.js';
