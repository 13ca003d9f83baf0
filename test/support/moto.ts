import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** A free loopback TCP port, found by letting the kernel pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface MotoServer {
  endpoint: string
  port: number
  /** Clears every service's state (POST /moto-api/reset). */
  reset(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts `moto_server` on a free loopback port and waits until it answers.
 * Default AMIs are not loaded: they would show as snapshots owned by `self`.
 */
export async function startMoto(): Promise<MotoServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    const endpoint = `http://127.0.0.1:${port}`
    try {
      await waitUntilUp(endpoint, child)
    } catch (error) {
      child.kill('SIGKILL')
      if (attempt < 2) continue
      throw new Error(`moto_server did not start: ${String(error)}\n${stderr}`)
    }
    return {
      endpoint,
      port,
      reset: async () => {
        const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })
        if (!res.ok) throw new Error(`moto reset failed: ${res.status}`)
      },
      stop: () => stopProcess(child),
    }
  }
}

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`)
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('timed out')
}

export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Environment that points the AWS SDK at a local endpoint with dummy credentials. */
export function localAwsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-east-1',
    // moto answers unimplemented calls with HTTP 500, which the SDK would retry.
    AWS_MAX_ATTEMPTS: '2',
    AWS_RETRY_MODE: 'standard',
  }
}

/**
 * SDK client settings for a test's own calls straight to a local endpoint
 * (setting up and checking state): dummy credentials, and one attempt so a
 * surprise shows at once instead of being retried.
 */
export function directClientConfig(endpoint: string, region = 'us-east-1') {
  return {
    region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'local-test-secret' },
  }
}
