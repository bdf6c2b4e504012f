// Mothership's sample app: a tiny HTTP server on $PORT, with one npm dependency.
const http = require("http");
const ms = require("ms");

const port = Number(process.env.PORT || 5000);
const greeting = process.env.GREETING || "Hello from Mothership";
const started = Date.now();

http
  .createServer((req, res) => {
    if (req.url === "/upload") {
      let bytes = 0;
      req.on("data", (chunk) => (bytes += chunk.length));
      req.on("end", () => res.end(`received ${bytes} bytes\n`));
      return;
    }
    if (req.url.startsWith("/download?mb=")) {
      // N MiB of 'x', written as the client reads them.
      let left = Number(req.url.slice(13)) * 16;
      const chunk = Buffer.alloc(65536, "x");
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": left * 65536 });
      const more = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return res.once("drain", more);
        }
        res.end();
      };
      more();
      return;
    }
    if (req.url === "/headers") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(req.headers) + "\n");
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`${greeting}! (node, up ${ms(Date.now() - started)})\n`);
  })
  .listen(port, () => console.log(`hello-node listening on ${port}`));
