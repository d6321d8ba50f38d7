import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PromiseMemo } from './memo.js';

test('computes once per key, shares the answer, forgets failures, stays bounded', async () => {
  const memo = new PromiseMemo<number>(2);
  let calls = 0;
  const compute = async () => ++calls;
  assert.equal(await memo.get('a', compute), 1);
  assert.equal(await memo.get('a', compute), 1);
  assert.equal(calls, 1);

  let fail = true;
  const flaky = async () => {
    if (fail) throw new Error('EACCES');
    return 42;
  };
  await assert.rejects(memo.get('b', flaky));
  fail = false;
  assert.equal(await memo.get('b', flaky), 42, 'a failure is asked again');

  await memo.get('c', compute); // third key: the table starts afresh
  assert.equal(await memo.get('a', compute), 3, 'a was dropped when the bound was reached');
});

test('settled gives an answer once it has arrived, never a failure, nor one the table dropped', async () => {
  const memo = new PromiseMemo<number>(2);
  const pending = memo.get('a', async () => 7);
  assert.equal(memo.settled('a'), undefined, 'not before it arrives');
  await pending;
  assert.equal(memo.settled('a'), 7);
  await assert.rejects(memo.get('b', async () => Promise.reject(new Error('EIO'))));
  assert.equal(memo.settled('b'), undefined, 'a failure is never an answer');
  await memo.get('b', async () => 8);
  await memo.get('c', async () => 9); // third key: the table starts afresh
  assert.equal(memo.settled('a'), undefined, 'dropped with the table');
  assert.equal(memo.settled('c'), 9);
});
