// `jco run --jco-import scripts/wasi/preopen.js …` gives the command the current directory as
// the preopen ".", like `wasmtime run --dir .`: jco run preopens nothing by default, and the
// command resolves relative FILE arguments against ".".
import { _addPreopen } from '@bytecodealliance/preview2-shim/filesystem';

_addPreopen('.', process.cwd());
