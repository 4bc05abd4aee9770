/**
 * The dock's pure policy layer: clock drift and correction (R5), completeness (R6), the 24-hour rule (R7),
 * retention dates (R9) and the time formats of the API. No I/O and no clock reads: "now" is always a
 * parameter.
 * @module
 */
export * from './clock.js';
export * from './events.js';
export * from './gaps.js';
export * from './offload-deadline.js';
export * from './retention.js';
export * from './time-format.js';
