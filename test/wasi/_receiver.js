// A TCP receiver for the WASI tests, run as its own process (see _helpers.js for why).
//
//   node _receiver.js HOST PAUSE_FIRST_MS SLOW_MS LIFE_MS [RESET_AFTER]
//
// Prints "port N" once listening, "connected" on the first connection, and "done BYTES SHA256"
// when that peer ends; then exits. With SLOW_MS > 0 it reads 16 KiB every SLOW_MS ms, so a
// sender's socket buffer fills. With RESET_AFTER it resets the connection (RST) once that many
// bytes arrived. It exits by itself after LIFE_MS whatever happens.
//
// Invariant: it accepts one connection and listens on the loopback address it was given only.
import { createHash } from 'node:crypto';
import net from 'node:net';

const [host, pauseFirst, slowMs, lifeMs, resetAfter = 0] =
  [process.argv[2], ...process.argv.slice(3).map(Number)];
setTimeout(() => process.exit(3), lifeMs).unref();

const server = net.createServer((s) => {
  server.close();
  process.stdout.write('connected\n');
  const hash = createHash('sha256');
  let bytes = 0;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    process.stdout.write(`done ${bytes} ${hash.digest('hex')}\n`, () => process.exit(0));
  };
  s.on('error', finish);
  s.on('end', finish);
  if (!slowMs) {
    s.pause();
    setTimeout(() => s.on('data', (d) => {
      hash.update(d);
      bytes += d.length;
      if (resetAfter && bytes >= resetAfter) { s.resetAndDestroy(); finish(); }
    }).resume(), pauseFirst);
    return;
  }
  s.pause();
  const drip = () => {
    let chunk;
    while ((chunk = s.read(16384)) !== null) {
      hash.update(chunk);
      bytes += chunk.length;
      return setTimeout(drip, slowMs);
    }
    // Less than 16 KiB buffered: take what is there (the peer may have ended).
    const rest = s.read();
    if (rest) { hash.update(rest); bytes += rest.length; }
    if (s.readableEnded) return finish();
    setTimeout(drip, slowMs);
  };
  setTimeout(drip, pauseFirst);
});
server.listen(0, host, () => process.stdout.write(`port ${server.address().port}\n`));
