// Uploads a file to the VideoFarm server with tus-js-client (a client nobody here wrote), through
// a TCP proxy that cuts the first upload-carrying connection once, half-way through its body.
// Usage: node tus_interop.mjs SERVER_PORT VIDEO_ID FILE PROTOCOL   (PROTOCOL: tus | ietf-draft-05)
// Prints "cut=N" and "url=..." and exits 0 when the upload reports success.
import fs from 'node:fs';
import net from 'node:net';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const tus = require('tus-js-client');

const [serverPort, videoId, file, protocol] = process.argv.slice(2);
const data = fs.readFileSync(file);
let cuts = 0;

// Forwards bytes both ways; the first PATCH is cut (both sides destroyed) after about half of
// the file went through.
const proxy = net.createServer((client) => {
  const upstream = net.connect(Number(serverPort), '127.0.0.1');
  let sent = 0;
  let patching = false;
  let dead = false;  // after the cut nothing more may reach the server, or the stream has a hole
  client.on('data', (chunk) => {
    if (dead) return;
    // Connections are reused: a request starts with its method at the start of a chunk.
    const head = chunk.toString('latin1', 0, 8);
    if (/^[A-Z]+ \//.test(head)) {
      patching = head.startsWith('PATCH ');
      sent = 0;
      if (process.env.VF_SHOW_REQUESTS) console.error(chunk.toString('latin1').split('\r\n\r\n')[0]);
    }
    sent += chunk.length;
    if (patching && cuts === 0 && sent > data.length / 2) {
      cuts++;
      dead = true;
      upstream.write(chunk.subarray(0, chunk.length / 2), () => {
        setTimeout(() => { client.destroy(); upstream.destroy(); }, 100);
      });
      return;
    }
    upstream.write(chunk);
  });
  upstream.on('data', (chunk) => client.write(chunk));
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});

proxy.listen(0, '127.0.0.1', () => {
  const port = proxy.address().port;
  const endpoint = protocol === 'tus'
      ? `http://127.0.0.1:${port}/tus/videos/${videoId}`
      : `http://127.0.0.1:${port}/videos/${videoId}/movie`;
  const upload = new tus.Upload(data, {
    endpoint,
    protocol: protocol === 'tus' ? 'tus-v1' : protocol,
    retryDelays: [0, 200, 500, 1000],
    metadata: {filename: 'movie', filetype: 'video/mp4'},
    onError(error) {
      console.error('upload failed:', error.message);
      proxy.close();
      process.exit(1);
    },
    onSuccess() {
      console.log(`cut=${cuts}`);
      console.log(`url=${upload.url}`);
      proxy.close();
      process.exit(0);
    },
  });
  upload.start();
});
setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000);
