;; A caller for the library component under a real WASI host: a command that connects to
;; 127.0.0.1:PORT with wasi:sockets/tcp, opens FILE in the first preopened directory and calls
;; send-file on them; `wac plug` composes it with dist/wasi/sock-sendfile-library.wasm, so the
;; host's own TCP output stream and file descriptor reach the library.
;;
;;   caller FILE PORT OFFSET [COUNT]     (no COUNT: to EOF)
;;
;; stdout: "sent N" (exit 0), or "error SENT MESSAGE" with send-error's fields (exit 1). Any other
;; failure (arguments, open, connect) prints "caller: STEP CODE" and exits 1.
;; The world is library-caller.wit; imports use the canonical ABI's legacy core names. Resources
;; it owns are dropped children first (streams, socket, network) as strict hosts require.
(module
  (import "wasi:cli/environment@0.2.0" "get-arguments" (func $get_arguments (param i32)))
  (import "wasi:cli/exit@0.2.0" "exit" (func $exit (param i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $get_stdout (result i32)))
  (import "wasi:io/poll@0.2.0" "[method]pollable.block" (func $block (param i32)))
  (import "wasi:io/poll@0.2.0" "[resource-drop]pollable" (func $drop_pollable (param i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write_flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.0" "[resource-drop]input-stream" (func $drop_input (param i32)))
  (import "wasi:io/streams@0.2.0" "[resource-drop]output-stream" (func $drop_output (param i32)))
  (import "wasi:filesystem/preopens@0.2.0" "get-directories" (func $get_directories (param i32)))
  (import "wasi:filesystem/types@0.2.0" "[method]descriptor.open-at"
    (func $open_at (param i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:filesystem/types@0.2.0" "[resource-drop]descriptor" (func $drop_descriptor (param i32)))
  (import "wasi:sockets/instance-network@0.2.0" "instance-network" (func $instance_network (result i32)))
  (import "wasi:sockets/network@0.2.0" "[resource-drop]network" (func $drop_network (param i32)))
  (import "wasi:sockets/tcp-create-socket@0.2.0" "create-tcp-socket" (func $create_tcp (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.0" "[method]tcp-socket.start-connect"
    (func $start_connect (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:sockets/tcp@0.2.0" "[method]tcp-socket.finish-connect" (func $finish_connect (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.0" "[method]tcp-socket.subscribe" (func $tcp_subscribe (param i32) (result i32)))
  (import "wasi:sockets/tcp@0.2.0" "[resource-drop]tcp-socket" (func $drop_tcp (param i32)))
  ;; send-file(out, file, offset, count: option<u64>) -> result<u64, send-error>, at a return
  ;; area: tag at 0; ok u64 at 8; err { sent u64 at 8, message ptr at 16, len at 20 }.
  (import "sock-sendfile:wasi/sendfile@0.1.0" "send-file"
    (func $send_file (param i32 i32 i64 i32 i64 i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096)) ;; bump allocator for what the host lifts in
  (global $out_len (mut i32) (i32.const 0)) ;; line being built at 1024
  (data (i32.const 512) "sent error caller: args open connect ")

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))))
    (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  ;; --- output line at 1024 ---
  (func $put (param $ptr i32) (param $len i32)
    (memory.copy (i32.add (i32.const 1024) (global.get $out_len)) (local.get $ptr) (local.get $len))
    (global.set $out_len (i32.add (global.get $out_len) (local.get $len))))
  (func $put_u64 (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 40)) ;; digits built backwards at 960..1000
    (loop $digits
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 960) (local.get $i))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $put (i32.add (i32.const 960) (local.get $i)) (i32.sub (i32.const 40) (local.get $i))))
  (func $print_and_exit (param $status i32)
    (i32.store8 (i32.add (i32.const 1024) (global.get $out_len)) (i32.const 10))
    (call $write_flush (call $get_stdout) (i32.const 1024) (i32.add (global.get $out_len) (i32.const 1)) (i32.const 256))
    (call $exit (local.get $status))
    unreachable)
  ;; "caller: STEP CODE", then exit 1.
  (func $fail (param $step i32) (param $step_len i32) (param $code i32)
    (call $put (i32.const 523) (i32.const 8))
    (call $put (local.get $step) (local.get $step_len))
    (call $put_u64 (i64.extend_i32_u (local.get $code)))
    (call $print_and_exit (i32.const 1)))

  ;; Decimal string (ptr, len) -> u64.
  (func $parse (param $ptr i32) (param $len i32) (result i64)
    (local $v i64)
    (block $done
      (loop $digit
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10))
          (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $ptr)) (i32.const 48)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $digit)))
    (local.get $v))
  ;; argv[i] as a number.
  (func $arg_u64 (param $argv i32) (param $i i32) (result i64)
    (local $e i32)
    (local.set $e (i32.add (local.get $argv) (i32.mul (local.get $i) (i32.const 8))))
    (call $parse (i32.load (local.get $e)) (i32.load offset=4 (local.get $e))))

  (func (export "wasi:cli/run@0.2.0#run") (result i32)
    (local $argv i32) (local $argc i32) (local $dir i32) (local $file i32)
    (local $net i32) (local $sock i32) (local $p i32) (local $in i32) (local $out i32)
    (local $has_count i32) (local $count i64)
    ;; return areas: 256 (results), 300 (arguments list), 320 (directories list)
    (call $get_arguments (i32.const 300))
    (local.set $argv (i32.load (i32.const 300)))
    (local.set $argc (i32.load (i32.const 304)))
    (if (i32.lt_u (local.get $argc) (i32.const 4)) (then (call $fail (i32.const 531) (i32.const 5) (local.get $argc))))
    (if (i32.gt_u (local.get $argc) (i32.const 4))
      (then (local.set $has_count (i32.const 1))
            (local.set $count (call $arg_u64 (local.get $argv) (i32.const 4)))))

    ;; FILE in the first preopen (path-flags symlink-follow, no open-flags, descriptor-flags read)
    (call $get_directories (i32.const 320))
    (if (i32.eqz (i32.load (i32.const 324))) (then (call $fail (i32.const 536) (i32.const 5) (i32.const 0))))
    (local.set $dir (i32.load (i32.load (i32.const 320))))
    (call $open_at (local.get $dir) (i32.const 1)
      (i32.load offset=8 (local.get $argv)) (i32.load offset=12 (local.get $argv))
      (i32.const 0) (i32.const 1) (i32.const 256))
    (if (i32.load8_u (i32.const 256)) (then (call $fail (i32.const 536) (i32.const 5) (i32.load8_u (i32.const 260)))))
    (local.set $file (i32.load (i32.const 260)))

    ;; 127.0.0.1:PORT
    (local.set $net (call $instance_network))
    (call $create_tcp (i32.const 0) (i32.const 256))
    (if (i32.load8_u (i32.const 256)) (then (call $fail (i32.const 541) (i32.const 8) (i32.load8_u (i32.const 260)))))
    (local.set $sock (i32.load (i32.const 260)))
    (call $start_connect (local.get $sock) (local.get $net)
      (i32.const 0) (i32.wrap_i64 (call $arg_u64 (local.get $argv) (i32.const 2)))
      (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 256))
    (if (i32.load8_u (i32.const 256)) (then (call $fail (i32.const 541) (i32.const 8) (i32.load8_u (i32.const 257)))))
    (block $connected
      (loop $wait
        (call $finish_connect (local.get $sock) (i32.const 256))
        (br_if $connected (i32.eqz (i32.load8_u (i32.const 256))))
        ;; anything but would-block (8) is final
        (if (i32.ne (i32.load8_u (i32.const 260)) (i32.const 8))
          (then (call $fail (i32.const 541) (i32.const 8) (i32.load8_u (i32.const 260)))))
        (local.set $p (call $tcp_subscribe (local.get $sock)))
        (call $block (local.get $p))
        (call $drop_pollable (local.get $p))
        (br $wait)))
    (local.set $in (i32.load (i32.const 260)))
    (local.set $out (i32.load (i32.const 264)))

    (call $send_file (local.get $out) (local.get $file)
      (call $arg_u64 (local.get $argv) (i32.const 3))
      (local.get $has_count) (local.get $count) (i32.const 256))

    (call $drop_input (local.get $in))
    (call $drop_output (local.get $out))
    (call $drop_tcp (local.get $sock))
    (call $drop_network (local.get $net))
    (call $drop_descriptor (local.get $file))

    (if (i32.eqz (i32.load8_u (i32.const 256)))
      (then
        (call $put (i32.const 512) (i32.const 5))
        (call $put_u64 (i64.load (i32.const 264)))
        (call $print_and_exit (i32.const 0))))
    (call $put (i32.const 517) (i32.const 6))
    (call $put_u64 (i64.load (i32.const 264)))
    (call $put (i32.const 522) (i32.const 1))
    (call $put (i32.load (i32.const 272)) (i32.load (i32.const 276)))
    (call $print_and_exit (i32.const 1))
    unreachable)
)
