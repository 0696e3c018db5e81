/**
 * Styles every element shares: host display rules, theme custom properties with their defaults,
 * visible focus, the inline error and status blocks, and screen-reader-only text.
 */
import { css } from 'lit';

export const themeStyles = css`
  :host {
    display: block;
    box-sizing: border-box;
    font-family: var(--bagnet-font-family, system-ui, sans-serif);
    font-size: var(--bagnet-font-size, 0.875rem);
    color: var(--bagnet-text-color, #1f2328);
  }

  :host([hidden]) {
    display: none;
  }

  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }

  :focus-visible {
    outline: var(--bagnet-focus-width, 2px) solid var(--bagnet-focus-color, #0969da);
    outline-offset: 2px;
  }

  .error {
    margin: 0.25rem 0;
    padding: 0.5rem 0.75rem;
    border-left: 4px solid var(--bagnet-error-color, #cf222e);
    background: var(--bagnet-error-background, #ffebe9);
    color: var(--bagnet-error-text-color, #82071e);
    overflow-wrap: anywhere;
  }

  .status {
    margin: 0.25rem 0;
    color: var(--bagnet-muted-color, #59636e);
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
