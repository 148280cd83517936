// Builds the dashboard from src/ into one directory of static files: index.html, one
// JavaScript and one CSS bundle (our modules and uPlot, minified by esbuild, content-hashed
// names), and the icon. The same directory is embedded in the binary (build.rs) and uploaded
// to S3 by Terraform (crates/web/assets).
//
// usage: node build.mjs [--out DIR] [--gzip-dir DIR] [--rust FILE]
//   --out       where the site goes (default: assets/ beside this file); emptied first
//   --gzip-dir  also write a gzip copy of each file there (for the server to send as is)
//   --rust      also write the Rust table of the files (build.rs includes it)
// Prints each file's size, raw and gzipped, and the page's total.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants as zlib } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

// One policy for both hosts: `serve` sends it as a header (with frame-ancestors, which a meta
// element cannot carry), and index.html carries it as a meta element, so the copy CloudFront
// serves from S3 is held to the same rules. No inline script or style anywhere, and the page
// talks to its own origin only.
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");
const CSP_HEADER = `${CSP}; frame-ancestors 'none'`;

const CONTENT_TYPES = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

function args(argv) {
  const options = { out: join(here, "assets"), gzipDir: null, rust: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--out") options.out = resolve(value);
    else if (flag === "--gzip-dir") options.gzipDir = resolve(value);
    else if (flag === "--rust") options.rust = resolve(value);
    else throw new Error(`unknown argument ${flag}`);
  }
  return options;
}

function hash(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

async function build({ out, gzipDir, rust }) {
  const result = await esbuild.build({
    entryPoints: { app: join(here, "src/main.js"), style: join(here, "src/style.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    write: false,
    outdir: "out",
    entryNames: "[name]-[hash]",
    legalComments: "none",
    logLevel: "warning",
  });
  const files = new Map();
  for (const file of result.outputFiles) {
    files.set(file.path.split("/").pop(), Buffer.from(file.contents));
  }
  const script = [...files.keys()].find((name) => name.endsWith(".js"));
  const style = [...files.keys()].find((name) => name.endsWith(".css"));
  const html = readFileSync(join(here, "src/index.html"), "utf8")
    .replaceAll("{{CSP}}", CSP)
    .replaceAll("{{SCRIPT}}", script)
    .replaceAll("{{STYLE}}", style);
  if (/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i.test(html)) {
    throw new Error("index.html must hold no inline script, style attribute or event handler (CSP)");
  }
  files.set("index.html", Buffer.from(html));
  files.set("icon.svg", readFileSync(join(here, "src/icon.svg")));

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  if (gzipDir) {
    rmSync(gzipDir, { recursive: true, force: true });
    mkdirSync(gzipDir, { recursive: true });
  }
  const table = [];
  let rawTotal = 0;
  let gzTotal = 0;
  for (const [name, bytes] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    writeFileSync(join(out, name), bytes);
    const gz = gzipSync(bytes, { level: zlib.Z_BEST_COMPRESSION });
    if (gzipDir) writeFileSync(join(gzipDir, name), gz);
    rawTotal += bytes.length;
    gzTotal += gz.length;
    console.log(`${name.padEnd(28)} ${String(bytes.length).padStart(7)} B  ${String(gz.length).padStart(7)} B gzip`);
    const type = CONTENT_TYPES[name.split(".").pop()] ?? "application/octet-stream";
    table.push({ name, type, etag: `"${hash(bytes).slice(0, 32)}"`, hashed: name !== "index.html" && name !== "icon.svg" });
  }
  console.log(`${"page total".padEnd(28)} ${String(rawTotal).padStart(7)} B  ${String(gzTotal).padStart(7)} B gzip`);
  if (gzTotal > 150 * 1024) throw new Error(`the page is ${gzTotal} B gzipped, over the 150 KB budget`);

  if (rust) {
    const q = (s) => JSON.stringify(s);
    const rows = table.map(
      (f) =>
        `    Asset { name: ${q(f.name)}, content_type: ${q(f.type)}, etag: ${q(f.etag)}, immutable: ${f.hashed}, ` +
        `body: include_bytes!(${q(join(out, f.name))}), gzip: include_bytes!(${q(join(gzipDir, f.name))}) },`,
    );
    writeFileSync(
      rust,
      `// Written by crates/web/build.mjs.\n` +
        `/// The page's Content-Security-Policy header.\npub const CSP: &str = ${q(CSP_HEADER)};\n` +
        `/// Gzipped size of the whole page (every file), measured at build time.\npub const PAGE_GZIP_BYTES: usize = ${gzTotal};\n` +
        `pub static ASSETS: &[Asset] = &[\n${rows.join("\n")}\n];\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = args(process.argv.slice(2));
  if (options.rust && !options.gzipDir) throw new Error("--rust needs --gzip-dir");
  await build(options);
}
