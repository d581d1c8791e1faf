// The command component (dist/wasi/sock-sendfile-command.wasm) under `jco run`, through the case
// table every runtime shares (_command-cases.js): receivers in another process, every byte
// checked by SHA-256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerCommandCases } from './_command-cases.js';
import { gated, jcoRun, missingArtifacts, tempDir } from './_helpers.js';

gated(test, assert, missingArtifacts('sock-sendfile-command.wasm', 'jco-preopen.js'),
  (t) => registerCommandCases(t, jcoRun, tempDir()));

test.run();
