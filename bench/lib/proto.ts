// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see (tsx runs the benchmarks as ESM):
// its namespace comes through the default export. Types are imported from the package as usual.
import protoPackage from '@temporalio/proto';

export const temporal = protoPackage.temporal;
