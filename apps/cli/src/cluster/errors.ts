/** A problem the operator must fix before the local cluster can start; the message says how. */
export class ClusterError extends Error {
  readonly code = 'CLUSTER_SETUP';
}
