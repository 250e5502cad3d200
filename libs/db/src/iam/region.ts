/**
 * The region in an RDS endpoint, as Kong reads it: `<name>.<id>.<region>.rds.amazonaws.com`, and
 * the China, GovCloud and ISO partitions (`.rds.amazonaws.com.cn`, `.rds.c2s.ic.gov`,
 * `.rds.sc2s.sgov.gov`). Undefined for any other host (a proxy, an IP, a custom DNS name).
 */
const RDS_HOST = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.(?:amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov)$/i;

export function regionFromRdsHost(host: string): string | undefined {
  return RDS_HOST.exec(host)?.[1]?.toLowerCase();
}
