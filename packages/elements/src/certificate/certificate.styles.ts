import { css } from 'lit';

export const certificateStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: center;
  }

  .controls label {
    display: inline-flex;
    gap: 0.5rem;
    align-items: center;
  }

  input[type='range'] {
    width: var(--bagnet-certificate-slider-width, 10rem);
  }

  output {
    min-width: 3.5rem;
    font-variant-numeric: tabular-nums;
  }

  .verdict {
    margin: 0.5rem 0 0.25rem;
    font-weight: 700;
  }

  .verdict.certified {
    color: var(--bagnet-certified-color, #1a7f37);
  }

  .verdict.vulnerable {
    color: var(--bagnet-vulnerable-color, #cf222e);
  }

  .explanation {
    margin: 0.25rem 0;
  }

  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }

  th,
  td {
    padding: 0.125rem 0.5rem;
    text-align: right;
  }

  th:first-child,
  td:first-child {
    text-align: left;
  }

  thead th {
    border-bottom: 1px solid var(--bagnet-muted-color, #59636e);
    font-weight: 600;
  }

  tr.top td {
    font-weight: 700;
  }
`;
