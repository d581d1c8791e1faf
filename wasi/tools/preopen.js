// The `jco run --jco-import` module, shipped as dist/wasi/jco-preopen.js: it gives the command
// component the current directory as the preopen ".", as `wasmtime run --dir .` does. jco run
// preopens nothing by default, and the command resolves a relative FILE against ".".
//
// Invariant: it must load the same @bytecodealliance/preview2-shim instance as jco run's
// transpiled component (the one installed beside jco), or the preopen is added to another copy.
import { _addPreopen } from '@bytecodealliance/preview2-shim/filesystem';

_addPreopen('.', process.cwd());
