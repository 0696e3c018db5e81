/** Headers that make a page cross-origin isolated (COOP same-origin, COEP require-corp). */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>>;
