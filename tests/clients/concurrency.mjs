// 16 simultaneous streaming clients: each must complete with exactly the text it gets when run
// alone with the same seed (independent outputs under continuous batching).
// usage: node concurrency.mjs BASE_URL MODEL [N]
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const [base, model, nArg] = process.argv.slice(2);
const N = Number(nArg ?? 16);
const oa = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
const req = (i) => ({ model, max_tokens: 32 + (i % 5) * 8, seed: 1000 + i, temperature: 0.9,
  messages: [{ role: 'user', content: `request ${i}: ${'日本語 '.repeat(i % 4)}` }] });

async function streamText(i) {
  const s = await oa.chat.completions.create({ ...req(i), stream: true });
  let t = '';
  for await (const c of s) t += c.choices[0]?.delta?.content ?? '';
  return t;
}

const alone = [];
for (let i = 0; i < N; i++) alone.push(await streamText(i));
const t0 = Date.now();
const together = await Promise.all(Array.from({ length: N }, (_, i) => streamText(i)));
const ms = Date.now() - t0;
for (let i = 0; i < N; i++) {
  assert.ok(alone[i].length > 0, `client ${i} got no text`);
  assert.equal(together[i], alone[i], `client ${i}: concurrent output differs from its solo output`);
}
console.log(`concurrency: ${N} streaming clients matched their solo outputs (${ms} ms together)`);
