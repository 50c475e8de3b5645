/** The ceiling: a bare uWebSockets.js server that reads the body and answers 204, nothing else. */
import uWS from 'uWebSockets.js';

uWS
  .App()
  .post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    res.onData((_chunk, isLast) => {
      if (isLast && !aborted) res.cork(() => res.writeStatus('204 No Content').endWithoutBody());
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) process.exit(1);
    console.log(`listening on http://127.0.0.1:${uWS.us_socket_local_port(socket as unknown as uWS.us_socket)}`);
  });
