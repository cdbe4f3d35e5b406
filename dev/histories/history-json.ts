// Workflow histories to and from the JSON form of Temporal's tools (proto3 JSON: what `temporal workflow show
// --output json` writes and `Worker.runReplayHistories` reads), done as the SDK's historyToJSON/historyFromJSON do.
//
// Why not those two directly: in this install they throw "type must be a Type". npm keeps protobufjs 7 at the top
// (for @grpc/proto-loader) and gives each of @temporalio/common, /proto and /worker its own nested copy of 8.x, so
// common's protojson checks `instanceof Type` against a class other than the one @temporalio/proto built its types
// with. Here the protojson extension is loaded from the protobufjs that @temporalio/proto itself resolves.
import { createRequire } from 'node:module';
import type * as protoTypes from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = protoTypes.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const require = createRequire(import.meta.url);
// The CommonJS module object itself (patchProtobufRoot walks its namespaces; an ESM namespace object has none).
const proto = require('@temporalio/proto') as typeof protoTypes;
const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** The history as JSON text, indented (committed files are read in reviews). */
export function historyToJson(history: History): string {
  return `${JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2)}\n`;
}

/** A history message (int64 fields as Long) from that JSON, ready for `Worker.runReplayHistories`. */
export function historyFromJson(json: unknown): History {
  // Unknown fields are tolerated, as the SDK does: a history written by a newer server or tool still loads.
  const loaded = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (loaded === null || typeof loaded !== 'object') throw new TypeError('not a workflow history');
  return loaded as History;
}
