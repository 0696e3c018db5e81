import { css } from 'lit';

export const evidenceBarStyles = css`
  .classes {
    display: grid;
    gap: 0.125rem;
  }

  .row,
  .axis-row {
    display: grid;
    grid-template-columns: var(--bagnet-bar-label-width, 7rem) 1fr 3.5rem;
    gap: 0 0.5rem;
    align-items: center;
    border-radius: var(--bagnet-radius, 4px);
  }

  .with-probabilities .row,
  .with-probabilities .axis-row {
    grid-template-columns: var(--bagnet-bar-label-width, 7rem) 1fr 3.5rem 3.5rem;
  }

  .row {
    padding: 0.125rem 0.25rem;
    cursor: pointer;
  }

  .row:hover {
    background: var(--bagnet-bar-hover-background, #f6f8fa);
  }

  .axis-row {
    padding: 0 0.25rem;
  }

  .axis-row > .axis {
    grid-column: 2;
  }

  .row[aria-checked='true'] > .label {
    font-weight: 700;
  }

  .row[aria-checked='true'] {
    background: var(--bagnet-bar-selected-background, #eaeef2);
    box-shadow: inset 3px 0 0 var(--bagnet-bar-selected-color, #57606a);
  }

  .label {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  .track {
    position: relative;
    height: var(--bagnet-bar-height, 1.25rem);
    border-radius: 2px;
  }

  .seg,
  .zero,
  .net {
    position: absolute;
    top: 15%;
    bottom: 15%;
  }

  .seg.positive {
    background: var(--bagnet-positive-color, #b2182b);
  }

  .seg.negative {
    background: var(--bagnet-negative-color, #2166ac);
  }

  .seg.bias {
    background: repeating-linear-gradient(135deg, var(--bagnet-bias-color, #8c959f) 0 3px, transparent 3px 5px);
  }

  .zero {
    top: 0;
    bottom: 0;
    border-left: 1px solid var(--bagnet-axis-color, #59636e);
  }

  .net {
    top: 0;
    bottom: 0;
    width: 0;
    border-left: 3px solid var(--bagnet-net-color, #1f2328);
    transform: translateX(-1.5px);
  }

  .net::after {
    content: '';
    position: absolute;
    top: -2px;
    left: -5.5px;
    border: 4px solid transparent;
    border-top-color: var(--bagnet-net-color, #1f2328);
  }

  .value,
  .probability {
    font-variant-numeric: tabular-nums;
    text-align: right;
  }

  .axis {
    position: relative;
    height: 1.25em;
    font-size: 0.8em;
    color: var(--bagnet-muted-color, #59636e);
  }

  .axis span {
    position: absolute;
    transform: translateX(-50%);
    white-space: nowrap;
  }

  .key {
    display: flex;
    flex-wrap: wrap;
    gap: 0.25rem 0.75rem;
    margin-top: 0.25rem;
    font-size: 0.8em;
    color: var(--bagnet-muted-color, #59636e);
  }

  .swatch,
  .seg.swatch {
    position: static;
    display: inline-block;
    width: 0.75em;
    height: 0.75em;
    margin-right: 0.25em;
    vertical-align: -0.05em;
  }

  .distribution {
    margin-top: 0.75rem;
  }

  .distribution svg {
    display: block;
    width: 100%;
    height: var(--bagnet-distribution-height, 4rem);
    background: var(--bagnet-heatmap-background, #f6f8fa);
  }

  .distribution .area-positive {
    fill: var(--bagnet-positive-color, #b2182b);
  }

  .distribution .area-negative {
    fill: var(--bagnet-negative-color, #2166ac);
  }

  .distribution .marker {
    stroke: var(--bagnet-receptive-field-color, #111);
    stroke-width: 2px;
  }

  .distribution .decile {
    stroke: var(--bagnet-axis-color, #59636e);
    stroke-dasharray: 2 2;
  }

  .distribution p {
    margin: 0.25rem 0 0;
  }
`;
