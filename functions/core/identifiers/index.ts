// The identifier validators of the license core, in one import.
export * from './citizen-id.ts';
export * from './identifier-check.ts';
export * from './iso7064.ts';
export * from './license-id.ts';
export * from './organization-code.ts';
export * from './uscc.ts';
