export { default } from './bagnet-vis@1.js';
