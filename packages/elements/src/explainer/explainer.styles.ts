import { css } from 'lit';

export const explainerStyles = css`
  .views {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, var(--bagnet-explainer-column, 18rem)), 1fr));
    gap: var(--bagnet-explainer-gap, 1rem);
    align-items: start;
  }
`;
