/** One test's time, as the Node summary reporter records it. */
export interface TestTime {
  name: string;
  file: string;
  ms: number;
}
/** What one lane's reporter writes to `BAGNET_TEST_SUMMARY`. */
export interface NodeSummary {
  tests: TestTime[];
  files: [string, number][];
  failures: string[];
  passed: number;
  failed: number;
  skipped: number;
}
/** The summary text of one or more lanes' results. */
export function formatSummary(parts: NodeSummary[]): string;
/** The node:test reporter (`--test-reporter`). */
export default function nodeSummary(source: AsyncIterable<{ type: string; data: unknown }>): AsyncGenerator<string>;
