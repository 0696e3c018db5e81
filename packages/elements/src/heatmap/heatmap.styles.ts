import { css } from 'lit';

export const heatmapStyles = css`
  .stage {
    position: relative;
    width: 100%;
    background: var(--bagnet-heatmap-background, #f6f8fa);
    overflow: hidden;
    border-radius: var(--bagnet-radius, 4px);
  }

  .figure,
  .cells {
    position: absolute;
    inset: 0;
  }

  canvas {
    position: absolute;
    display: block;
  }

  .image,
  .outline {
    inset: 0;
    width: 100%;
    height: 100%;
  }

  .overlay,
  .outline {
    image-rendering: pixelated;
  }

  .outline {
    opacity: var(--bagnet-heatmap-outline-opacity, 0.35);
  }

  .cells {
    cursor: crosshair;
    touch-action: none;
  }

  .cells:focus-visible {
    outline-offset: -2px;
  }

  .box {
    position: absolute;
    pointer-events: none;
    border: var(--bagnet-receptive-field-width, 2px) solid var(--bagnet-receptive-field-color, #111);
    box-shadow: 0 0 0 1px var(--bagnet-receptive-field-halo, rgba(255, 255, 255, 0.85));
  }

  .box.selected {
    border-style: dashed;
    border-color: var(--bagnet-selection-color, #0969da);
  }

  .tooltip {
    position: absolute;
    z-index: 1;
    pointer-events: none;
    padding: 0.25rem 0.5rem;
    border-radius: var(--bagnet-radius, 4px);
    background: var(--bagnet-tooltip-background, rgba(31, 35, 40, 0.92));
    color: var(--bagnet-tooltip-color, #fff);
    font-size: 0.8em;
    white-space: nowrap;
    transform: translate(-50%, calc(-100% - 4px));
  }

  .tooltip.below {
    transform: translate(-50%, 4px);
  }

  .legend {
    display: grid;
    grid-template-columns: auto 1fr auto;
    align-items: start;
    gap: 0.5rem;
    margin-top: 0.5rem;
    font-size: 0.8em;
    color: var(--bagnet-muted-color, #59636e);
  }

  .legend-scale {
    position: relative;
    padding-bottom: 1.25em;
  }

  .legend-bar {
    position: static;
    width: 100%;
    height: var(--bagnet-legend-height, 0.75rem);
    border-radius: 2px;
  }

  .tick {
    position: absolute;
    top: calc(var(--bagnet-legend-height, 0.75rem) + 2px);
    transform: translateX(-50%);
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }

  .tick::before {
    content: '';
    position: absolute;
    top: -4px;
    left: 50%;
    height: 3px;
    border-left: 1px solid currentColor;
  }

  .tick.first {
    transform: none;
  }

  .tick.first::before {
    left: 0;
  }

  .tick.last {
    transform: translateX(-100%);
  }

  .tick.last::before {
    left: auto;
    right: 0;
  }

  .legend-note {
    grid-column: 1 / -1;
  }
`;
