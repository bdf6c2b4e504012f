// Mothership's sample app: a tiny HTTP server on $PORT.
const http = require("http");

const port = Number(process.env.PORT || 5000);
const greeting = process.env.GREETING || "Hello from Mothership";

http
  .createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`${greeting}! (release ${process.env.MOTHERSHIP_RELEASE || "dev"})\n`);
  })
  .listen(port, () => console.log(`hello-node listening on ${port}`));
