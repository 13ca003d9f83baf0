#!/usr/bin/env node
/**
 * `npm run render:summaries [-- <dir> [<png dir>]]`: renders every markdown file of the
 * demo's output (`demo-output/` unless given) the way GitHub shows a job summary:
 * GitHub-flavoured markdown to HTML (marked), mermaid blocks drawn by the real mermaid
 * library in Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH), one PNG per file
 * in `<dir>/png/`. It fails on any mermaid parse or render error, on an xychart whose
 * bars share an x (series drawn over each other), and on a gantt chart whose axis reads
 * differently in another timezone.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Marked } from 'marked'
import { chromium } from 'playwright-core'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const inputDir = resolve(process.argv[2] ?? join(root, 'demo-output'))
const outputDir = resolve(process.argv[3] ?? join(inputDir, 'png'))
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const mermaidBundle = join(root, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js')
/** A timezone whose offset is not a whole hour: clock-time axes read differently there. */
const OTHER_TIMEZONE = 'Asia/Kolkata'

const escapeHtml = (text) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** GitHub-flavoured markdown, with ```mermaid blocks left for mermaid to draw. */
function toHtml(markdown) {
  const marked = new Marked({ gfm: true })
  marked.use({
    renderer: {
      code({ text, lang }) {
        if (lang === 'mermaid') return `<pre class="mermaid">${escapeHtml(text)}</pre>\n`
        return `<pre><code>${escapeHtml(text)}</code></pre>\n`
      },
    },
  })
  return marked.parse(markdown)
}

// GitHub's markdown look, near enough to judge spacing and tables.
const STYLE = `
body { font-family: -apple-system, 'Segoe UI', 'Noto Sans', Helvetica, Arial, sans-serif, 'Noto Color Emoji';
  font-size: 14px; line-height: 1.5; color: #1f2328; background: #fff; margin: 0; padding: 24px 32px; width: 1012px; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h2 { font-size: 1.5em; } h3 { font-size: 1.25em; }
table { border-collapse: collapse; display: block; overflow: auto; margin: 0 0 16px; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
th { font-weight: 600; } tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%; }
pre { background: #f6f8fa; padding: 16px; border-radius: 6px; overflow: auto; }
pre.mermaid { background: #fff; text-align: center; }
details { margin: 0 0 16px; } summary { cursor: pointer; }
a { color: #0969da; }
`

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`
}

/** A page with the style and mermaid loaded once; each summary is swapped into its body. */
async function openRenderer(context, timezoneId) {
  const tab = await context.newPage()
  if (timezoneId) {
    const cdp = await context.newCDPSession(tab)
    await cdp.send('Emulation.setTimezoneOverride', { timezoneId })
  }
  await tab.setContent(page('summary', ''), { waitUntil: 'load' })
  await tab.addScriptTag({ path: mermaidBundle })
  await tab.evaluate(() =>
    globalThis.mermaid.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict' }),
  )
  return tab
}

/** In the page: shows `body`, draws every mermaid block and reports errors, overlapping bars and gantt ticks. */
async function drawCharts(tab, body, prefix) {
  return tab.evaluate(
    async ({ body, prefix }) => {
      globalThis.document.body.innerHTML = body
      const mermaid = globalThis.mermaid
      const problems = []
      const gantts = []
      const nodes = [...globalThis.document.querySelectorAll('pre.mermaid')]
      for (const [index, node] of nodes.entries()) {
        const source = node.textContent ?? ''
        try {
          await mermaid.parse(source)
          const { svg } = await mermaid.render(`${prefix}${index}`, source)
          node.innerHTML = svg
        } catch (error) {
          problems.push(`chart ${index + 1}: ${error?.message ?? String(error)}`)
          continue
        }
        const svg = node.querySelector('svg')
        if (svg?.getAttribute('aria-roledescription') === 'xychart') {
          // Bars of different series at the same x hide each other; zero-height bars hide nothing.
          const bars = [...svg.querySelectorAll('g.bar-plot-0, g[class^="bar-plot-"]')].flatMap((g) =>
            [...g.querySelectorAll('rect')].map((r) => ({
              plot: g.getAttribute('class'),
              x: Number(r.getAttribute('x')),
              width: Number(r.getAttribute('width')),
              height: Number(r.getAttribute('height')),
            })),
          )
          const visible = bars.filter((b) => b.height > 0.5)
          for (const [i, a] of visible.entries()) {
            for (const b of visible.slice(i + 1)) {
              if (a.plot !== b.plot && a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5)
                problems.push(
                  `chart ${index + 1}: bars of ${a.plot} and ${b.plot} overlap at x=${a.x.toFixed(1)}`,
                )
            }
          }
        }
        if (svg?.getAttribute('aria-roledescription') === 'gantt') {
          gantts.push([...svg.querySelectorAll('g.tick text')].map((t) => t.textContent))
        }
      }
      return { problems, gantts }
    },
    { body, prefix },
  )
}

async function main() {
  const files = readdirSync(inputDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
  if (files.length === 0) throw new Error(`No markdown files in ${inputDir}: run \`npm run demo\` first.`)
  mkdirSync(outputDir, { recursive: true })
  // A fresh profile each run; playwright passes it to Chromium as --user-data-dir.
  const profile = mkdtempSync(join(tmpdir(), 'render-summaries-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    env: { ...process.env, TZ: 'UTC' },
    viewport: { width: 1076, height: 600 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const failures = []
  try {
    const tab = await openRenderer(context)
    // The same summaries in a timezone half an hour off: an elapsed-time axis reads the same.
    const elsewhere = await openRenderer(context, OTHER_TIMEZONE)
    for (const [n, file] of files.entries()) {
      const body = toHtml(readFileSync(join(inputDir, file), 'utf8'))
      const { problems, gantts } = await drawCharts(tab, body, `f${n}c`)
      const png = join(outputDir, `${basename(file, '.md')}.png`)
      await tab.screenshot({ path: png, fullPage: true })
      if (gantts.length > 0) {
        const again = await drawCharts(elsewhere, body, `f${n}t`)
        again.gantts.forEach((ticks, i) => {
          if (JSON.stringify(ticks) !== JSON.stringify(gantts[i]))
            problems.push(
              `gantt ${i + 1}: axis reads ${JSON.stringify(gantts[i])} in UTC but ${JSON.stringify(ticks)} in ${OTHER_TIMEZONE}`,
            )
        })
      }
      for (const p of problems) failures.push(`${file}: ${p}`)
      console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${file} -> ${png}`)
      for (const p of problems) console.log(`     ${p}`)
    }
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
  if (failures.length > 0) {
    console.error(`\n${failures.length} problem(s) in the rendered summaries.`)
    process.exit(1)
  }
  console.log(`\n${files.length} summaries rendered to ${outputDir}.`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
