/**
 * Every API Nimbus serves, one handler each. ApiVersions is derived from this list, so adding a
 * handler here is all it takes to advertise an API. Transactions (AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, TxnOffsetCommit, WriteTxnMarkers) are deliberately absent: not
 * advertised, and a client that sends them anyway is disconnected, as Kafka does for unknown APIs.
 */
import { alterConfigsHandler } from './alter-configs.js';
import { makeApiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeGroupsHandler } from './describe-groups.js';
import { describeTopicPartitionsHandler } from './describe-topic-partitions.js';
import { electLeadersHandler } from './elect-leaders.js';
import { fetchHandler } from './fetch.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import type { ApiHandler } from './handler.js';
import { heartbeatHandler } from './heartbeat.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { listOffsetsHandler } from './list-offsets.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { metadataHandler } from './metadata.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { produceHandler } from './produce.js';
import { saslAuthenticateHandler, saslHandshakeHandler } from './sasl.js';
import { syncGroupHandler } from './sync-group.js';

/** Handlers with their request/response types erased, for the list below. */
interface ErasedHandler {
  readonly apiKey: number;
  readonly versions: readonly [number, number];
  handle(req: never, ctx: never): unknown;
}

const DATA_AND_ADMIN_HANDLERS: readonly ErasedHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  saslAuthenticateHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  electLeadersHandler,
  incrementalAlterConfigsHandler,
  listPartitionReassignmentsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  describeTopicPartitionsHandler,
];

/** All handlers, ApiVersions included. */
export function allHandlers(): ApiHandler[] {
  const list = DATA_AND_ADMIN_HANDLERS as unknown as ApiHandler[];
  const apiVersions = makeApiVersionsHandler(() => [...list, apiVersions as ApiHandler]);
  return [...list, apiVersions as ApiHandler];
}
