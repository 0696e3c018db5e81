import type { Reporter } from '@web/test-runner-core';

/** A @web/test-runner reporter that prints one summary when the run stops. */
export function summaryOnceReporter(): Reporter;
