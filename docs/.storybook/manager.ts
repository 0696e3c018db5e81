/** The manager UI (sidebar, toolbar, panels): the project's name instead of Storybook's. */
import { addons } from 'storybook/manager-api';
import { create } from 'storybook/theming';

addons.setConfig({
  theme: create({ base: 'light', brandTitle: 'bagnet-vis', brandUrl: './' }),
  sidebar: { showRoots: true },
});
