// Uploads one file to a Weft server with tus-js-client, as a third-party client would, and
// prints one JSON line: {"url", "journalId"} on success, {"error"} on failure (exit 1).
//
// Usage: node upload.js BASE_URL TOKEN FILE TITLE TAGS [CHUNK_BYTES]
// The modules are looked up in TUS_CLIENT_DIR/node_modules (where scripts/install-deps put
// them), else next to this script.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const dir = process.env.TUS_CLIENT_DIR || __dirname;
const requireFrom = Module.createRequire(path.join(dir, 'package.json'));
const tus = requireFrom('tus-js-client');

const [base, token, file, title, tags, chunk] = process.argv.slice(2);
const size = fs.statSync(file).size;
let journalId = null;

const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint: `${base}/api/v1/uploads`,
  uploadSize: size,
  chunkSize: chunk ? Number(chunk) : Infinity,
  retryDelays: [0, 500, 1000],
  headers: { Authorization: `Bearer ${token}` },
  metadata: { filename: path.basename(file), filetype: 'video/mp4', title, tags },
  onAfterResponse(req, res) {
    const id = res.getHeader('Weft-Journal-Id');
    if (id) journalId = id;
  },
  onError(error) {
    console.log(JSON.stringify({ error: String(error) }));
    process.exit(1);
  },
  onSuccess() {
    console.log(JSON.stringify({ url: upload.url, journalId }));
  },
});
upload.start();
