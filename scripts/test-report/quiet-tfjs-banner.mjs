// @ts-check
/**
 * Preloaded into every Node test process (scripts/test-node.mjs): drops tfjs's "looks like you
 * are running TensorFlow.js in Node.js … install tfjs-node" banner, which the CPU backend prints
 * once per process — dozens of times in one run. The runner prints it once instead. Every other
 * warning passes through untouched.
 */
export const TFJS_NODE_BANNER = 'Hi, looks like you are running TensorFlow.js in Node.js';

const warn = console.warn.bind(console);
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes(TFJS_NODE_BANNER)) return;
  warn(...args);
};
