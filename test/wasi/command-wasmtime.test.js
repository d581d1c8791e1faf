// The command component under wasmtime (`wasmtime run -S inherit-network=y ...`, the README's
// command line), through the case table every runtime shares (_command-cases.js).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerCommandCases } from './_command-cases.js';
import { gated, missingArtifacts, tempDir } from './_helpers.js';
import { missingTools, wasmtimeCommand } from './_runtimes.js';

gated(test, assert, missingArtifacts('sock-sendfile-command.wasm') ?? missingTools('wasmtime'),
  (t) => registerCommandCases(t, wasmtimeCommand, tempDir()));

test.run();
