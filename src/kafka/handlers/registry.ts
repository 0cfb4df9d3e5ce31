/**
 * Every API Nimbus serves: one line each, with the versions its handler serves and the module that
 * holds the handler. ApiVersions is derived from this list, so adding a line here is all it takes
 * to advertise an API. Transactions (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit,
 * WriteTxnMarkers) are deliberately absent: not advertised, and a client that sends them anyway is
 * disconnected, as Kafka does for unknown APIs.
 *
 * Handler modules (and the API's generated codec) are imported on the first request for their
 * key, not at start: loading all 30 handlers and every codec was about 80 ms of a 300 ms start,
 * for APIs most clients never call. Each handler file still declares its own range; the dispatcher
 * asserts that it matches the line here when it loads the module (registry.test.ts loads them all).
 */
import { ApiKey } from '../protocol/api-table.generated.js';
import { loadCompression } from '../protocol/compression/lazy.js';
import type { ApiHandler } from './handler.js';

export interface HandlerEntry {
  readonly apiKey: number;
  /** [min, max] version the handler serves; ApiVersions advertises 0..max. */
  readonly versions: readonly [number, number];
  /** Imports the handler's module, and whatever it needs before its first request is dispatched. */
  readonly load: () => Promise<ApiHandler>;
}

/** Handlers with their request/response types erased, as the dispatcher holds them. */
type AnyHandler = { readonly apiKey: number; readonly versions: readonly [number, number] };
const erase = (h: AnyHandler): ApiHandler => h as unknown as ApiHandler;
const entry = (
  apiKey: number,
  versions: readonly [number, number],
  load: () => Promise<AnyHandler>,
): HandlerEntry => ({ apiKey, versions, load: async () => erase(await load()) });

/**
 * Produce checks record keys of compacted topics inside compressed batches, and ListOffsets by
 * timestamp looks inside them: both need the codecs loaded before their first request runs.
 */
const withCompression = async <T>(load: Promise<T>): Promise<T> =>
  (await Promise.all([load, loadCompression()]))[0];

export const HANDLER_ENTRIES: readonly HandlerEntry[] = [
  entry(ApiKey.Produce, [0, 11], async () => (await withCompression(import('./produce.js'))).produceHandler),
  entry(ApiKey.Fetch, [0, 16], async () => (await import('./fetch.js')).fetchHandler),
  entry(
    ApiKey.ListOffsets,
    [0, 8],
    async () => (await withCompression(import('./list-offsets.js'))).listOffsetsHandler,
  ),
  entry(ApiKey.Metadata, [0, 12], async () => (await import('./metadata.js')).metadataHandler),
  entry(ApiKey.OffsetCommit, [0, 8], async () => (await import('./offset-commit.js')).offsetCommitHandler),
  entry(ApiKey.OffsetFetch, [0, 8], async () => (await import('./offset-fetch.js')).offsetFetchHandler),
  entry(
    ApiKey.FindCoordinator,
    [0, 5],
    async () => (await import('./find-coordinator.js')).findCoordinatorHandler,
  ),
  entry(ApiKey.JoinGroup, [0, 9], async () => (await import('./join-group.js')).joinGroupHandler),
  entry(ApiKey.Heartbeat, [0, 4], async () => (await import('./heartbeat.js')).heartbeatHandler),
  entry(ApiKey.LeaveGroup, [0, 5], async () => (await import('./leave-group.js')).leaveGroupHandler),
  entry(ApiKey.SyncGroup, [0, 5], async () => (await import('./sync-group.js')).syncGroupHandler),
  entry(
    ApiKey.DescribeGroups,
    [0, 5],
    async () => (await import('./describe-groups.js')).describeGroupsHandler,
  ),
  entry(ApiKey.ListGroups, [0, 5], async () => (await import('./list-groups.js')).listGroupsHandler),
  entry(ApiKey.SaslHandshake, [0, 1], async () => (await import('./sasl.js')).saslHandshakeHandler),
  entry(ApiKey.ApiVersions, [0, 4], async () =>
    (await import('./api-versions.js')).makeApiVersionsHandler(() => HANDLER_ENTRIES),
  ),
  entry(ApiKey.CreateTopics, [0, 7], async () => (await import('./create-topics.js')).createTopicsHandler),
  entry(ApiKey.DeleteTopics, [0, 6], async () => (await import('./delete-topics.js')).deleteTopicsHandler),
  entry(ApiKey.DeleteRecords, [0, 2], async () => (await import('./delete-records.js')).deleteRecordsHandler),
  entry(
    ApiKey.InitProducerId,
    [0, 5],
    async () => (await import('./init-producer-id.js')).initProducerIdHandler,
  ),
  entry(
    ApiKey.DescribeConfigs,
    [0, 4],
    async () => (await import('./describe-configs.js')).describeConfigsHandler,
  ),
  entry(ApiKey.AlterConfigs, [0, 2], async () => (await import('./alter-configs.js')).alterConfigsHandler),
  entry(ApiKey.SaslAuthenticate, [0, 2], async () => (await import('./sasl.js')).saslAuthenticateHandler),
  entry(
    ApiKey.CreatePartitions,
    [0, 3],
    async () => (await import('./create-partitions.js')).createPartitionsHandler,
  ),
  entry(ApiKey.DeleteGroups, [0, 2], async () => (await import('./delete-groups.js')).deleteGroupsHandler),
  entry(ApiKey.ElectLeaders, [0, 2], async () => (await import('./elect-leaders.js')).electLeadersHandler),
  entry(
    ApiKey.IncrementalAlterConfigs,
    [0, 1],
    async () => (await import('./incremental-alter-configs.js')).incrementalAlterConfigsHandler,
  ),
  entry(
    ApiKey.ListPartitionReassignments,
    [0, 0],
    async () => (await import('./list-partition-reassignments.js')).listPartitionReassignmentsHandler,
  ),
  entry(ApiKey.OffsetDelete, [0, 0], async () => (await import('./offset-delete.js')).offsetDeleteHandler),
  entry(
    ApiKey.DescribeCluster,
    [0, 1],
    async () => (await import('./describe-cluster.js')).describeClusterHandler,
  ),
  entry(
    ApiKey.DescribeTopicPartitions,
    [0, 0],
    async () => (await import('./describe-topic-partitions.js')).describeTopicPartitionsHandler,
  ),
];
