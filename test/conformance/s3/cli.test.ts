/**
 * Proves the AWS CLI (Debian's 2.9), s3cmd 2.3 and boto3 work unchanged against Nimbus S3:
 * aws s3 mb/cp/sync/ls/rm/rb with a multipart upload over 8 MB, aws s3api versioning, tagging and
 * multipart; s3cmd mb/put/get/ls/sync/del with a 16 MB multipart put (SigV4 and SigV2); and
 * boto3's basic object life cycle. Downloads are compared byte for byte.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startStandalone, type StandaloneService } from '../../../src/platform/testing.js';
import { s3Service, type S3Config } from '../../../src/s3/index.js';
import { requireTool } from '../../helpers/tools.js';

let svc: StandaloneService<S3Config>;
let url: string;
let work: string;

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: join(work, 'aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(work, 'aws-credentials'),
  AWS_PAGER: '',
});

/** Async on purpose: the server lives in this process, so a blocking spawnSync would deadlock. */
async function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: env(), encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function md5File(p: string): string {
  return createHash('md5').update(readFileSync(p)).digest('hex');
}

/** Debian's aws (2.9) when installed, else whatever `aws` is on PATH. */
function awsPath(t: TestContext): string | null {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  return requireTool(t, 'aws');
}

before(async () => {
  svc = await startStandalone(s3Service, { serveGateway: true });
  url = svc.gatewayUrl!;
  work = mkdtempSync(join(tmpdir(), 'nimbus-s3-cli-'));
  writeFileSync(join(work, 'aws-config'), '[default]\nregion = us-east-1\n');
  writeFileSync(
    join(work, 'aws-credentials'),
    '[default]\naws_access_key_id = test\naws_secret_access_key = test\n',
  );
});

after(async () => {
  await svc.close();
  rmSync(work, { recursive: true, force: true });
});

// Each CLI start costs seconds of Python start-up; the clients use separate buckets, so run them side by side.
describe('command-line clients', { concurrency: true }, () => {
  describe('aws cli', { concurrency: true }, () => {
    it('aws s3 mb/cp/sync/ls/rm/rb with multipart over 8 MB', async (t) => {
      const aws = awsPath(t);
      if (!aws) return;
      const ep = ['--endpoint-url', url];
      await run(aws, ['s3', 'mb', 's3://cli-bucket', ...ep]);
      const small = join(work, 'small.txt');
      writeFileSync(small, 'hello from the aws cli\n');
      const big = join(work, 'big.bin');
      writeFileSync(big, randomBytes(20 * 1024 * 1024));
      await run(aws, ['s3', 'cp', small, 's3://cli-bucket/docs/small.txt', ...ep]);
      await run(aws, ['s3', 'cp', big, 's3://cli-bucket/big.bin', ...ep]);
      const head = JSON.parse(
        await run(aws, ['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'big.bin', ...ep]),
      ) as { ETag: string; ContentLength: number };
      assert.match(head.ETag, /-\d+"$/, 'multipart ETag');
      assert.equal(head.ContentLength, 20 * 1024 * 1024);
      const down = join(work, 'big.down');
      await run(aws, ['s3', 'cp', 's3://cli-bucket/big.bin', down, ...ep]);
      assert.equal(md5File(down), md5File(big));
      const dir = join(work, 'tree');
      mkdirSync(join(dir, 'sub'), { recursive: true });
      writeFileSync(join(dir, 'a.txt'), 'a');
      writeFileSync(join(dir, 'sub', 'b.txt'), 'b');
      await run(aws, ['s3', 'sync', dir, 's3://cli-bucket/tree/', ...ep]);
      const again = await run(aws, ['s3', 'sync', dir, 's3://cli-bucket/tree/', ...ep]);
      assert.equal(again.trim(), '', 'second sync uploads nothing');
      const ls = await run(aws, ['s3', 'ls', 's3://cli-bucket/', '--recursive', ...ep]);
      for (const k of ['docs/small.txt', 'big.bin', 'tree/a.txt', 'tree/sub/b.txt'])
        assert.match(ls, new RegExp(k.replace('.', '\\.')));
      const top = await run(aws, ['s3', 'ls', 's3://cli-bucket/', ...ep]);
      assert.match(top, /PRE docs\//);
      const back = join(work, 'tree-back');
      await run(aws, ['s3', 'sync', 's3://cli-bucket/tree/', back, ...ep]);
      assert.equal(readFileSync(join(back, 'sub', 'b.txt'), 'utf8'), 'b');
      await run(aws, ['s3', 'rm', 's3://cli-bucket/docs/small.txt', ...ep]);
      assert.doesNotMatch(
        await run(aws, ['s3', 'ls', 's3://cli-bucket/', '--recursive', ...ep]),
        /small\.txt/,
      );
      await run(aws, ['s3', 'rb', 's3://cli-bucket', '--force', ...ep]);
      assert.doesNotMatch(await run(aws, ['s3', 'ls', ...ep]), /cli-bucket/);
    });

    it('aws s3api versioning, tagging and multipart', async (t) => {
      const aws = awsPath(t);
      if (!aws) return;
      const ep = ['--endpoint-url', url];
      const api = async (...a: string[]): Promise<Record<string, unknown>> => {
        const out = await run(aws, ['s3api', ...a, ...ep]);
        return out.trim() ? (JSON.parse(out) as Record<string, unknown>) : {};
      };
      await api('create-bucket', '--bucket', 'api-bucket');
      await api(
        'put-bucket-versioning',
        '--bucket',
        'api-bucket',
        '--versioning-configuration',
        'Status=Enabled',
      );
      assert.equal((await api('get-bucket-versioning', '--bucket', 'api-bucket')).Status, 'Enabled');
      const f = join(work, 'v.txt');
      writeFileSync(f, 'one');
      const v1 = (await api('put-object', '--bucket', 'api-bucket', '--key', 'v.txt', '--body', f))
        .VersionId as string;
      writeFileSync(f, 'two');
      await api('put-object', '--bucket', 'api-bucket', '--key', 'v.txt', '--body', f);
      const vers = (await api('list-object-versions', '--bucket', 'api-bucket')) as {
        Versions: Array<{ VersionId: string }>;
      };
      assert.equal(vers.Versions.length, 2);
      const out = join(work, 'v1.out');
      await api('get-object', '--bucket', 'api-bucket', '--key', 'v.txt', '--version-id', v1, out);
      assert.equal(readFileSync(out, 'utf8'), 'one');
      await api(
        'put-object-tagging',
        '--bucket',
        'api-bucket',
        '--key',
        'v.txt',
        '--tagging',
        'TagSet=[{Key=env,Value=test}]',
      );
      assert.deepEqual((await api('get-object-tagging', '--bucket', 'api-bucket', '--key', 'v.txt')).TagSet, [
        { Key: 'env', Value: 'test' },
      ]);
      const up = (await api('create-multipart-upload', '--bucket', 'api-bucket', '--key', 'mp.bin'))
        .UploadId as string;
      const p1 = join(work, 'p1');
      const p2 = join(work, 'p2');
      writeFileSync(p1, randomBytes(5 * 1024 * 1024));
      writeFileSync(p2, randomBytes(1234));
      const e1 = (
        await api(
          'upload-part',
          '--bucket',
          'api-bucket',
          '--key',
          'mp.bin',
          '--part-number',
          '1',
          '--upload-id',
          up,
          '--body',
          p1,
        )
      ).ETag as string;
      const e2 = (
        await api(
          'upload-part',
          '--bucket',
          'api-bucket',
          '--key',
          'mp.bin',
          '--part-number',
          '2',
          '--upload-id',
          up,
          '--body',
          p2,
        )
      ).ETag as string;
      const parts = (await api(
        'list-parts',
        '--bucket',
        'api-bucket',
        '--key',
        'mp.bin',
        '--upload-id',
        up,
      )) as { Parts: unknown[] };
      assert.equal(parts.Parts.length, 2);
      const ups = (await api('list-multipart-uploads', '--bucket', 'api-bucket')) as {
        Uploads: Array<{ UploadId: string }>;
      };
      assert.equal(ups.Uploads[0]?.UploadId, up);
      const done = await api(
        'complete-multipart-upload',
        '--bucket',
        'api-bucket',
        '--key',
        'mp.bin',
        '--upload-id',
        up,
        '--multipart-upload',
        JSON.stringify({
          Parts: [
            { PartNumber: 1, ETag: e1 },
            { PartNumber: 2, ETag: e2 },
          ],
        }),
      );
      assert.match(String(done.ETag), /-2"$/);
      const mpOut = join(work, 'mp.out');
      await api('get-object', '--bucket', 'api-bucket', '--key', 'mp.bin', mpOut);
      assert.equal(
        md5File(mpOut),
        createHash('md5')
          .update(Buffer.concat([readFileSync(p1), readFileSync(p2)]))
          .digest('hex'),
      );
    });
  });

  describe('s3cmd', { concurrency: true }, () => {
    for (const sigV2 of [false, true]) {
      it(`put/get/ls/sync/del and a 16 MB multipart put (${sigV2 ? 'SigV2' : 'SigV4'})`, async (t) => {
        const s3cmd = requireTool(t, 's3cmd');
        if (!s3cmd) return;
        const host = new URL(url).host;
        const cfg = join(work, `s3cfg-${sigV2}`);
        writeFileSync(
          cfg,
          `[default]\naccess_key = test\nsecret_key = test\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nbucket_location = us-east-1\nsignature_v2 = ${sigV2 ? 'True' : 'False'}\ncheck_ssl_certificate = False\n`,
        );
        const c = (...a: string[]): Promise<string> => run(s3cmd, ['-c', cfg, ...a]);
        const b = `s3cmd-${sigV2 ? 'v2' : 'v4'}`;
        await c('mb', `s3://${b}`);
        const f = join(work, `s3cmd-${sigV2}.txt`);
        writeFileSync(f, 'from s3cmd');
        await c('put', f, `s3://${b}/dir/file.txt`);
        const big = join(work, `s3cmd-big-${sigV2}.bin`);
        writeFileSync(big, randomBytes(16 * 1024 * 1024));
        await c('put', '--multipart-chunk-size-mb=5', big, `s3://${b}/big.bin`);
        const got = join(work, `s3cmd-got-${sigV2}.bin`);
        await c('get', '--force', `s3://${b}/big.bin`, got);
        assert.equal(md5File(got), md5File(big));
        const small = join(work, `s3cmd-small-${sigV2}.txt`);
        await c('get', '--force', `s3://${b}/dir/file.txt`, small);
        assert.equal(readFileSync(small, 'utf8'), 'from s3cmd');
        const ls = await c('ls', '--recursive', `s3://${b}`);
        assert.match(ls, /dir\/file\.txt/);
        assert.match(ls, /big\.bin/);
        const dir = join(work, `s3cmd-tree-${sigV2}`);
        mkdirSync(join(dir, 'x'), { recursive: true });
        writeFileSync(join(dir, 'x', 'y.txt'), 'y');
        await c('sync', `${dir}/`, `s3://${b}/tree/`);
        assert.match(await c('ls', '--recursive', `s3://${b}/tree/`), /tree\/x\/y\.txt/);
        await c('del', `s3://${b}/dir/file.txt`);
        assert.doesNotMatch(await c('ls', '--recursive', `s3://${b}`), /dir\/file\.txt/);
      });
    }
  });

  describe('boto3', { concurrency: true }, () => {
    it('runs the basic object life cycle', async (t) => {
      const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : requireTool(t, 'python3');
      if (!py) return;
      const probe = spawnSync(py, ['-c', 'import boto3'], { encoding: 'utf8' });
      if (probe.status !== 0) {
        if (process.env.CI === 'true') assert.fail('boto3 missing (apt-get install python3-boto3)');
        t.skip('boto3 is not installed (apt-get install python3-boto3)');
        return;
      }
      const script = `
import boto3, hashlib, os
s3 = boto3.client('s3', endpoint_url='${url}', aws_access_key_id='test', aws_secret_access_key='test', region_name='us-east-1')
s3.create_bucket(Bucket='boto')
body = os.urandom(100000)
r = s3.put_object(Bucket='boto', Key='users/1/profile.jpg', Body=body, ContentType='image/jpeg', Metadata={'k': 'v'})
assert r['ETag'] == '"%s"' % hashlib.md5(body).hexdigest(), r
g = s3.get_object(Bucket='boto', Key='users/1/profile.jpg')
assert g['Body'].read() == body
assert g['Metadata'] == {'k': 'v'}
keys = [o['Key'] for o in s3.list_objects_v2(Bucket='boto')['Contents']]
assert keys == ['users/1/profile.jpg'], keys
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto', 'Key': 'users/1/profile.jpg'}, ExpiresIn=60)
import urllib.request
assert urllib.request.urlopen(url).read() == body
s3.delete_object(Bucket='boto', Key='users/1/profile.jpg')
assert s3.list_objects_v2(Bucket='boto')['KeyCount'] == 0
s3.delete_bucket(Bucket='boto')
print('ok')
`;
      assert.equal((await run(py, ['-c', script])).trim(), 'ok');
    });
  });
});
