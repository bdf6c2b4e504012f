// Takes jobs off the list "jobs" in Redis (REDIS_URL), one at a time, and
// counts them in "done"; says so in its log.
const { createClient } = require('redis');

const client = createClient({ url: process.env.REDIS_URL });
client.on('error', () => {});

async function main() {
  await client.connect();
  console.log('worker waiting for jobs');
  for (;;) {
    try {
      const job = await client.brPop('jobs', 5);
      if (!job) continue;
      const done = await client.incr('done');
      console.log(`worker ran ${job.element} (${done} done)`);
    } catch (e) {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
main().catch((e) => {
  console.error(`worker: ${e.message}`);
  process.exit(1);
});
