import { css } from 'lit';

export const galleryStyles = css`
  .section + .section {
    margin-top: 0.75rem;
  }

  .heading {
    margin: 0 0 0.375rem;
    font-weight: 600;
  }

  ol {
    display: flex;
    flex-wrap: wrap;
    gap: var(--bagnet-gallery-gap, 0.5rem);
    margin: 0;
    padding: 0;
    list-style: none;
  }

  button,
  a {
    display: grid;
    grid-template-columns: auto auto;
    gap: 0 0.375rem;
    justify-items: start;
    align-items: baseline;
    width: calc(var(--bagnet-gallery-tile-size, 72px) + 0.5rem + 4px);
    margin: 0;
    padding: 0.25rem;
    border: 2px solid transparent;
    border-radius: var(--bagnet-radius, 4px);
    background: var(--bagnet-tile-background, #f6f8fa);
    color: inherit;
    font: inherit;
    font-size: 0.8em;
    text-align: left;
    cursor: pointer;
    text-decoration: none;
  }

  button:hover,
  button.active,
  a:hover,
  a.active {
    border-color: var(--bagnet-receptive-field-color, #111);
  }

  button[aria-pressed='true'] {
    border-color: var(--bagnet-selection-color, #0969da);
    border-style: dashed;
  }

  canvas {
    grid-column: 1 / -1;
    width: var(--bagnet-gallery-tile-size, 72px);
    height: var(--bagnet-gallery-tile-size, 72px);
    margin-bottom: 0.25rem;
    image-rendering: pixelated;
    border-bottom: 4px solid var(--_sign-color, transparent);
  }

  .for canvas {
    --_sign-color: var(--bagnet-positive-color, #b2182b);
  }

  .against canvas {
    --_sign-color: var(--bagnet-negative-color, #2166ac);
  }

  .rank {
    font-weight: 600;
  }

  .value {
    font-variant-numeric: tabular-nums;
  }

  .share,
  .source {
    grid-column: 1 / -1;
    color: var(--bagnet-muted-color, #59636e);
  }

  .linked-cell {
    margin: 0.5rem 0 0;
    color: var(--bagnet-muted-color, #59636e);
  }
`;
