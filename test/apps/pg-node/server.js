// Each GET / writes a row to the app's database (DATABASE_URL) and answers
// "items=N", the rows the table holds (GET /count only reads); without a
// database it says so.
const http = require('http');
const { Pool } = require('pg');

const url = process.env.DATABASE_URL;
const pool = url ? new Pool({ connectionString: url, max: 4 }) : null;
if (pool) pool.on('error', () => {}); // an idle client lost (the database restarted): the next query reconnects
let tableMade = false;

http
  .createServer(async (req, res) => {
    if (!pool) {
      res.end('no database\n');
      return;
    }
    try {
      if (!tableMade) {
        await pool.query('CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
        tableMade = true;
      }
      if (req.url === '/') await pool.query('INSERT INTO items DEFAULT VALUES');
      const { rows } = await pool.query('SELECT count(*) AS n FROM items');
      res.end(`items=${rows[0].n}\n`);
    } catch (e) {
      res.statusCode = 503;
      res.end(`database error: ${e.message}\n`);
    }
  })
  .listen(process.env.PORT || 5000);
