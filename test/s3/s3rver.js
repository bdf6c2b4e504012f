'use strict';
// s3rver, an S3-compatible server on the filesystem, for the S3 client's
// end-to-end test (test/e2e/s3_test.cc), plus what s3rver 3.7 leaves out: it
// does not check Signature Version 4 signatures (its authentication accepts
// any V4 signature that names a known access key). Here each request's
// signature is computed again as S3 does, from the request as it arrived
// (method, path, query, the headers it says it signed) with the one secret
// key given, and a mismatch is S3's 403 SignatureDoesNotMatch; a payload
// whose SHA-256 was signed is hashed as it streams in, a mismatch is S3's
// 400 XAmzContentSHA256Mismatch. And AbortMultipartUpload, which s3rver
// does not have (it answers 405): the upload's parts are removed.
//
//   node --openssl-legacy-provider s3rver.js --directory DIR --access-key KEY --secret-key SECRET
//        [--bucket NAME]... [--fail-part KEY]
//
// (s3rver makes ListObjectsV2's continuation tokens with DES, which Node's
// OpenSSL 3 keeps in its legacy provider.)
//
// --fail-part KEY: every upload of part 2 of the object KEY fails with S3's
// 500 InternalError (the client's handling of a failed multipart upload).
//
// Listens on a port of 127.0.0.1 the system picks, then prints
// "s3rver listening on 127.0.0.1:PORT". Ends on SIGTERM or SIGINT.

const crypto = require('crypto');
const fs = require('fs');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
const S3Error = require('s3rver/lib/models/error');

function options(argv) {
  const o = { buckets: [] };
  for (let i = 2; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--directory') o.directory = value;
    else if (name === '--access-key') o.accessKey = value;
    else if (name === '--secret-key') o.secretKey = value;
    else if (name === '--bucket') o.buckets.push(value);
    else if (name === '--fail-part') o.failPart = value;
    else throw new Error(`unknown option ${name}`);
  }
  if (!o.directory || !o.accessKey || !o.secretKey) {
    throw new Error('usage: s3rver.js --directory DIR --access-key KEY --secret-key SECRET [--bucket NAME]...');
  }
  return o;
}

// RFC 3986 encoding as S3 signs it (encodeURIComponent leaves !'()* alone).
const encode = s =>
  encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
  }
}

const sha256 = data => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

function malformed(why) {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);
}

// Throws S3's error unless the request's Authorization header is a V4
// signature, with accessKeyId's secretKey, of the request as it arrived.
function verifySignature(req, accessKeyId, secretKey) {
  const auth = req.headers.authorization;
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) throw malformed('expected AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...');
  const [, credential, signedHeaders, signature] = match;
  const [accessKey, date, region, service, terminal] = credential.split('/');
  if (!accessKey || service !== 's3' || terminal !== 'aws4_request') throw malformed(`bad Credential ${credential}`);
  if (accessKey !== accessKeyId) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKey,
    });
  }
  const amzDate = req.headers['x-amz-date'] || '';
  if (!amzDate.startsWith(date)) throw malformed(`the Credential's date ${date} is not x-amz-date's ${amzDate}`);
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!names.includes(required)) throw malformed(`SignedHeaders lacks ${required}`);
  }
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith('x-amz-') && !names.includes(name)) throw malformed(`the header ${name} is not signed`);
  }

  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const path = rawPath.split('/').map(segment => encode(decode(segment))).join('/');
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map(pair => {
      const [name, value = ''] = pair.split(/=(.*)/s);
      return [encode(decode(name)), encode(decode(value))];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headers = names
    .map(name => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonical = [req.method, path, query, headers, signedHeaders, req.headers['x-amz-content-sha256']].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${secretKey}`, date);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign).toString('hex');
  if (expected !== signature) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      { AWSAccessKeyId: accessKey, StringToSign: stringToSign, CanonicalRequest: canonical },
    );
  }
}

// Hashes the body as s3rver reads it (without changing how it flows): the
// digest, once the body has ended; null before.
function hashBody(req) {
  const hash = crypto.createHash('sha256');
  let digest = null;
  const emit = req.emit;
  req.emit = function (event, ...args) {
    if (event === 'data') hash.update(args[0]);
    if (event === 'end') digest = hash.digest('hex');
    return emit.call(this, event, ...args);
  };
  return () => digest;
}

// The bucket and key of a path-style request: "/bucket/a%20b" -> ["bucket", "a b"]
// (aborts and --fail-part are tested with path-style requests only).
function bucketAndKey(ctx) {
  const [, bucket = '', ...key] = ctx.path.split('/').map(decode);
  return [bucket, key.join('/')];
}

// AbortMultipartUpload: DELETE /bucket/key?uploadId=ID removes the upload's parts.
function abortUpload(ctx, store) {
  const [bucket] = bucketAndKey(ctx);
  const id = ctx.query.uploadId;
  const dir = /^[0-9a-f]+$/.test(id) && `${store.getResourcePath(bucket, undefined, 'uploads')}/${id}`;
  if (!dir || !fs.existsSync(dir)) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: id });
  }
  fs.rmSync(dir, { recursive: true });
  ctx.status = 204;
}

async function main() {
  const o = options(process.argv);
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new Error("DES is missing (s3rver's continuation tokens need it): run node --openssl-legacy-provider");
  }
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');  // s3rver's built-in key: only the given one works
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(o.accessKey, o.secretKey);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: o.directory,
    silent: true,
    // Virtual-hosted-style requests name the bucket in the host: BUCKET.s3.localhost.
    serviceEndpoint: 'localhost',
    configureBuckets: o.buckets.map(name => ({ name })),
  });
  // First of all middleware: an error thrown here gets s3rver's XML answer.
  server.middleware.unshift(async (ctx, next) => {
    if (!('authorization' in ctx.headers)) return next();
    verifySignature(ctx.req, o.accessKey, o.secretKey);
    if (ctx.method === 'DELETE' && 'uploadId' in ctx.query) return abortUpload(ctx, server.store);
    if (ctx.method === 'PUT' && ctx.query.partNumber === '2' && bucketAndKey(ctx)[1] === o.failPart) {
      throw new S3Error('InternalError', 'We encountered an internal error. Please try again.');
    }
    const claimed = ctx.headers['x-amz-content-sha256'];
    const digest = /^[0-9a-f]{64}$/.test(claimed) ? hashBody(ctx.req) : () => null;
    await next();
    const got = digest();
    if (got !== null && got !== claimed) {
      const error = new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        { ClientComputedContentSHA256: claimed, S3ComputedContentSHA256: got },
      );
      error.status = 400;
      throw error;
    }
  });
  const { port } = await server.run();
  process.stdout.write(`s3rver listening on 127.0.0.1:${port}\n`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  process.stderr.write(`s3rver.js: ${error.stack || error}\n`);
  process.exit(1);
});
