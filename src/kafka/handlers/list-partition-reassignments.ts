/** ListPartitionReassignments (46): always empty; one node has nothing to reassign. */
import { ApiKey } from '../protocol/api-table.generated.js';
import type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from '../protocol/messages.generated.js';
import { defineHandler } from './handler.js';

export const listPartitionReassignmentsHandler = defineHandler<
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse
>(ApiKey.ListPartitionReassignments, [0, 0], () => ({
  throttleTimeMs: 0,
  errorCode: 0,
  errorMessage: null,
  topics: [],
}));
