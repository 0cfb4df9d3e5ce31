/** ListPartitionReassignments (46): always empty; one node has nothing to reassign. */
import {
  ApiKey,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
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
