// A tus 1.0.0 server nobody here wrote: @tus/server with @tus/file-store (npm), for the engine's
// interop test. Usage: node tus_server.mjs PORT DIRECTORY   (uploads at http://127.0.0.1:PORT/files/)
// Prints "listening on PORT" once it accepts connections.
import http from 'node:http';
import {Server} from '@tus/server';
import {FileStore} from '@tus/file-store';

const [port, directory] = process.argv.slice(2);
const tus = new Server({path: '/files', datastore: new FileStore({directory})});
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on ${port}`));
