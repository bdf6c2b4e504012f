// GET /count adds one to a counter in Redis (REDIS_URL) and answers
// "count=N"; GET /enqueue?n=K pushes K jobs on the list "jobs" for the
// worker; GET /done answers "done=N", the jobs the worker ran; GET
// /file/write?text=T writes T to $STORAGE_DIR/note.txt (default /data) and
// GET /file/read answers it.
const http = require('http');
const fs = require('fs');
const path = require('path');
const { createClient } = require('redis');

const dir = process.env.STORAGE_DIR || '/data';
const url = process.env.REDIS_URL;
let client = null;
if (url) {
  client = createClient({ url });
  client.on('error', () => {}); // the server restarted: the client reconnects by itself
  client.connect().catch(() => {});
}

http
  .createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    try {
      if (u.pathname === '/file/write') {
        fs.writeFileSync(path.join(dir, 'note.txt'), u.searchParams.get('text') || '');
        res.end('wrote\n');
        return;
      }
      if (u.pathname === '/file/read') {
        res.end(fs.readFileSync(path.join(dir, 'note.txt'), 'utf8') + '\n');
        return;
      }
      if (!client) {
        res.end('no redis\n');
        return;
      }
      if (u.pathname === '/count') {
        res.end(`count=${await client.incr('hits')}\n`);
      } else if (u.pathname === '/enqueue') {
        const n = Number(u.searchParams.get('n') || 1);
        for (let i = 0; i < n; i++) await client.lPush('jobs', `job-${Date.now()}-${i}`);
        res.end(`queued=${n}\n`);
      } else if (u.pathname === '/done') {
        res.end(`done=${(await client.get('done')) || 0}\n`);
      } else {
        res.end('redis-node\n');
      }
    } catch (e) {
      res.statusCode = 503;
      res.end(`error: ${e.message}\n`);
    }
  })
  .listen(process.env.PORT || 5000);
