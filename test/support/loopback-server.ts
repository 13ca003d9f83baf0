import type { Server } from 'node:http'

export interface ListeningServer {
  port: number
  /** Closes the server, dropping kept-alive connections so close() does not wait on them. */
  close(): Promise<void>
}

/**
 * Starts a test server on a free loopback port. Keep-alive sockets from the
 * SDK must not hold the server open after close().
 */
export async function listenOnLoopback(server: Server, keepAliveMs = 1000): Promise<ListeningServer> {
  server.keepAliveTimeout = keepAliveMs
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
