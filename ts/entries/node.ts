// The Node and Bun entry (package exports "node", "./node", "default"): the Node host over
// the shared API.
import { makeEntry } from '../api.js';
import { createNodeHost } from '../node/host.js';
import { configureCore, loadCore } from '../node/loader.js';

export * from './shared.js';
export { SendfileFile, openFile } from '../node/file.js';

export const { sockSendfile, sockSendfileWithReport, capabilities, configure } =
  makeEntry(createNodeHost({ loadCore }), configureCore);
