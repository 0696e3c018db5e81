// @ts-check
/**
 * A Node module-resolution hook (registered by bagnet.js in a source checkout) that adds the
 * `source` export condition, so `@bagnet-vis/*` imports resolve to the packages' src/*.ts.
 */

/**
 * @param {string} specifier
 * @param {{ conditions: string[] }} context
 * @param {(specifier: string, context: object) => Promise<unknown>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'source'] });
}
